{{ shop_clean_rows('events') }}
