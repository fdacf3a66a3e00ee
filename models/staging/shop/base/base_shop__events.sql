{{ shop_base('events') }}
