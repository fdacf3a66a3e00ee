{{ shop_base('sessions') }}
