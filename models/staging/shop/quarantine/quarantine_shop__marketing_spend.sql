{{ shop_quarantined_rows('marketing_spend') }}
