{{ shop_base('marketing_spend') }}
