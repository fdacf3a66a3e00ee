{{ shop_base('marketing_touches') }}
