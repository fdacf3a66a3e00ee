{{ shop_quarantined_rows('products') }}
