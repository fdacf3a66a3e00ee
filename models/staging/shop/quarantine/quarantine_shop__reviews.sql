{{ shop_quarantined_rows('reviews') }}
