{{ shop_quarantined_rows('order_items') }}
