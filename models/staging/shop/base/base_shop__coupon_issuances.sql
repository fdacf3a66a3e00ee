{{ shop_base('coupon_issuances') }}
