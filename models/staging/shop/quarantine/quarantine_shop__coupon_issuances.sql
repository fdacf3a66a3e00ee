{{ shop_quarantined_rows('coupon_issuances') }}
