{{ shop_base('products') }}
