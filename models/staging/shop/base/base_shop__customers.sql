{{ shop_base('customers') }}
