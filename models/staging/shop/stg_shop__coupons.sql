{{ shop_clean_rows('coupons') }}
