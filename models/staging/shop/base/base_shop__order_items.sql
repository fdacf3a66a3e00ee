{{ shop_base('order_items') }}
