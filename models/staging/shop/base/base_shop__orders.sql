{{ shop_base('orders') }}
