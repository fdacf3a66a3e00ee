{{ shop_clean_rows('order_items') }}
