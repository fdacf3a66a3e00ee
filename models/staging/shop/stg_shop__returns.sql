{{ shop_clean_rows('returns') }}
