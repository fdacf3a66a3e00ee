{{ shop_clean_rows('experiment_assignments') }}
