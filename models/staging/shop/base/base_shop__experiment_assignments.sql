{{ shop_base('experiment_assignments') }}
