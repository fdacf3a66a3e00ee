{{ shop_clean_rows('products') }}
