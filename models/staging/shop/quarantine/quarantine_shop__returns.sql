{{ shop_quarantined_rows('returns') }}
