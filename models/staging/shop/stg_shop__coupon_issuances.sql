{{ shop_clean_rows('coupon_issuances') }}
