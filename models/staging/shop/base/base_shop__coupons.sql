{{ shop_base('coupons') }}
