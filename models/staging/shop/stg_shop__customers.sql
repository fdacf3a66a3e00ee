{{ shop_clean_rows('customers') }}
