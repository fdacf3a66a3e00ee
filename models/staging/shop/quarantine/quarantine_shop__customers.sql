{{ shop_quarantined_rows('customers') }}
