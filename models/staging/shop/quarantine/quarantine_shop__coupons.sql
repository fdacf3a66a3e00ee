{{ shop_quarantined_rows('coupons') }}
