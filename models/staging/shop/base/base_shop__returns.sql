{{ shop_base('returns') }}
