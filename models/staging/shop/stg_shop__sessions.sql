{{ shop_clean_rows('sessions') }}
