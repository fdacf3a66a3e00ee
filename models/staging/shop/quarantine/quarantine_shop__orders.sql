{#- Orders resolve the line cascade once, here and in their clean model (see shop_orders_resolved). -#}
{{ config(materialized='table') }}

{{ shop_orders_resolved() }}

{{ shop_quarantined_rows('orders', relation='resolved') }}
