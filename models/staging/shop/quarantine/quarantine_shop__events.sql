{{ shop_quarantined_rows('events') }}
