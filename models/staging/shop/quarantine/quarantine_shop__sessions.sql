{{ shop_quarantined_rows('sessions') }}
