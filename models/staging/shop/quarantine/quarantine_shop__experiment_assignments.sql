{{ shop_quarantined_rows('experiment_assignments') }}
