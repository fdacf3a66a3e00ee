{{ shop_clean_rows('reviews') }}
