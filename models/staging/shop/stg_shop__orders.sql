{#- Orders resolve the line cascade once, here and in their quarantine model (see shop_orders_resolved). -#}
{{ config(materialized='table') }}

{{ shop_orders_resolved() }}

{{ shop_clean_rows('orders', relation='resolved') }}
