{{ shop_base('reviews') }}
