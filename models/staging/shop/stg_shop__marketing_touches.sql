{{ shop_clean_rows('marketing_touches') }}
