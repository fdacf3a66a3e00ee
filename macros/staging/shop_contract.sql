{#
    The raw contract (../shared/spec/raw-contract.md) as the staging layer reads it:
    one entry per raw table with its columns in contract order, their types,
    how each is cleaned, and the quarantine checks in the order they apply.
    It drives the one macro that builds every base_shop__* table
    (shop_base.sql), and it is the contract's one source: src/orchard/contract.py
    (the loader, the generator, the importers, the quality suites) parses this
    YAML block out of this file, so a raw column or a rule is added here and
    nowhere else. Keep the block plain YAML (no Jinja inside):
    tests_py/test_shop_contract.py checks that dbt and Python read the same.
    Enum vocabularies are the var `enums` (dbt_project.yml), read by both too.

    Table keys:
      description    one line: what a row is
      required_file  true: the shop must export the table (else it reads as empty)
      primary_key, required_key (the key columns that may not be null, default
      all), updated_at (the version column of conflicting duplicates)
    Column keys:
      type      string | timestamp | date | money | integer | boolean | enum
      enum      the var enums.<name> vocabulary (type enum)
      required  true: a null value quarantines the row (missing_value)
      clean     trim | lower | upper | blank_to_null: applied after the cast
      output    the column's name in staging; 'email_hash' hashes it,
                false keeps it out of staging (PII that no model needs)
      scrub_pii true: e-mail addresses and phone numbers are masked (free text)
    Check kinds, after null keys, duplicates, unreadable and missing values and
    implausible magnitudes (see the quarantine_rules doc block):
      non_positive, negative_money, negative_count, bounds (allow_future),
      before (column < other), between, email, unique_across, foreign_key
      (optional_parent: only checked when the parent table has rows),
      within_parent_quantity (returns), order_lines (order_items <-> orders:
      the parent's clean and quarantine models read this table's base).
#}
{% macro shop_contract() -%}
{%- set spec -%}
customers:
  description: One row per registered account.
  required_file: true
  primary_key: [customer_id]
  updated_at: updated_at
  columns:
    - {name: customer_id, type: string}
    - {name: signed_up_at, type: timestamp, required: true}
    - {name: email, type: string, required: true, output: email_hash}
    - {name: phone, type: string, output: false}
    - {name: country, type: string, required: true, clean: upper}
    - {name: city, type: string}
    - {name: birth_date, type: date}
    - {name: acquisition_channel, type: enum, enum: channel, required: true}
    - {name: referrer_customer_id, type: string}
    - {name: anonymous_id, type: string}
    - {name: updated_at, type: timestamp, required: true}
  checks:
    - {kind: bounds, column: signed_up_at}
    - {kind: bounds, column: updated_at}
    - {kind: email, column: email}
products:
  description: One row per sellable item (SKU).
  required_file: true
  primary_key: [product_id]
  columns:
    - {name: product_id, type: string}
    - {name: product_name, type: string, required: true, clean: trim}
    - {name: category, type: string, required: true, clean: lower}
    - {name: subcategory, type: string, clean: lower}
    - {name: brand, type: string, clean: trim}
    - {name: list_price, type: money, required: true}
    - {name: unit_cost, type: money, required: true}
    - {name: launched_at, type: date, required: true}
    - {name: discontinued_at, type: date}
  checks:
    - {kind: negative_money, columns: [list_price, unit_cost]}
sessions:
  description: One row per visit (web or app).
  primary_key: [session_id]
  columns:
    - {name: session_id, type: string}
    - {name: anonymous_id, type: string, required: true}
    - {name: customer_id, type: string}
    - {name: started_at, type: timestamp, required: true}
    - {name: ended_at, type: timestamp, required: true}
    - {name: channel, type: enum, enum: channel, required: true}
    - {name: utm_source, type: string, scrub_pii: true}
    - {name: utm_medium, type: string, scrub_pii: true}
    - {name: utm_campaign, type: string, scrub_pii: true}
    - {name: device_type, type: enum, enum: device_type, required: true}
    - {name: landing_page, type: string, scrub_pii: true}
  checks:
    - {kind: bounds, column: started_at}
    - {kind: bounds, column: ended_at}
    - {kind: before, column: ended_at, other: started_at, reason: ended_before_started}
    - {kind: foreign_key, column: customer_id, parent: customers, parent_key: customer_id}
events:
  description: One row per tracked action inside a session.
  primary_key: [event_id]
  columns:
    - {name: event_id, type: string}
    - {name: session_id, type: string, required: true}
    - {name: anonymous_id, type: string, required: true}
    - {name: customer_id, type: string}
    - {name: event_at, type: timestamp, required: true}
    - {name: event_type, type: enum, enum: event_type, required: true}
    - {name: product_id, type: string}
    - {name: order_id, type: string}
    - {name: search_query, type: string, scrub_pii: true}
  checks:
    - {kind: bounds, column: event_at}
    - {kind: foreign_key, column: session_id, parent: sessions, parent_key: session_id}
    - {kind: foreign_key, column: product_id, parent: products, parent_key: product_id}
orders:
  description: One row per order, latest state.
  required_file: true
  primary_key: [order_id]
  updated_at: updated_at
  columns:
    - {name: order_id, type: string}
    - {name: customer_id, type: string, required: true}
    - {name: session_id, type: string}
    - {name: ordered_at, type: timestamp, required: true}
    - {name: status, type: enum, enum: order_status, required: true}
    - {name: coupon_code, type: string, clean: blank_to_null}
    - {name: order_discount_amount, type: money, required: true}
    - {name: shipping_amount, type: money, required: true}
    - {name: tax_amount, type: money, required: true}
    - {name: updated_at, type: timestamp, required: true}
  checks:
    - {kind: negative_money, columns: [order_discount_amount, shipping_amount, tax_amount]}
    - {kind: bounds, column: ordered_at}
    - {kind: bounds, column: updated_at}
    - {kind: foreign_key, column: customer_id, parent: customers, parent_key: customer_id}
    - {kind: foreign_key, column: session_id, parent: sessions, parent_key: session_id, optional_parent: true}
order_items:
  description: One row per order line.
  required_file: true
  primary_key: [order_item_id]
  columns:
    - {name: order_item_id, type: string}
    - {name: order_id, type: string, required: true}
    - {name: product_id, type: string, required: true}
    - {name: quantity, type: integer, required: true, quantity: true}
    - {name: unit_price, type: money, required: true}
    - {name: unit_cost, type: money, required: true}
    - {name: item_discount_amount, type: money, required: true}
  checks:
    - {kind: non_positive, column: quantity}
    - {kind: negative_money, columns: [unit_price, unit_cost, item_discount_amount]}
    - {kind: foreign_key, column: order_id, parent: orders, parent_key: order_id}
    - {kind: foreign_key, column: product_id, parent: products, parent_key: product_id}
    - {kind: order_lines, parent: orders}
returns:
  description: One row per refunded return.
  primary_key: [return_id]
  columns:
    - {name: return_id, type: string}
    - {name: order_item_id, type: string, required: true}
    - {name: returned_at, type: timestamp, required: true}
    - {name: quantity, type: integer, required: true, quantity: true}
    - {name: refund_amount, type: money, required: true}
    - {name: reason, type: enum, enum: return_reason, required: true}
  checks:
    - {kind: non_positive, column: quantity}
    - {kind: negative_money, columns: [refund_amount]}
    - {kind: bounds, column: returned_at}
    - {kind: foreign_key, column: order_item_id, parent: order_items, parent_key: order_item_id}
    - {kind: within_parent_quantity, column: order_item_id, parent: order_items, parent_key: order_item_id}
coupons:
  description: One row per coupon definition.
  primary_key: [coupon_id]
  columns:
    - {name: coupon_id, type: string}
    - {name: coupon_code, type: string, required: true, clean: trim}
    - {name: campaign, type: string, required: true, clean: lower}
    - {name: coupon_type, type: enum, enum: coupon_type, required: true}
    - {name: discount_value, type: money, required: true}
    - {name: min_order_amount, type: money}
    - {name: valid_from, type: timestamp, required: true}
    - {name: valid_to, type: timestamp, required: true}
    - {name: is_public, type: boolean, required: true}
  checks:
    - {kind: negative_money, columns: [discount_value, min_order_amount]}
    - {kind: bounds, column: valid_from, allow_future: true}
    - {kind: bounds, column: valid_to, allow_future: true}
    - {kind: before, column: valid_to, other: valid_from, reason: valid_to_before_valid_from}
    - {kind: unique_across, column: coupon_code, key: coupon_id, reason: duplicate_coupon_code}
coupon_issuances:
  description: A coupon granted to one customer.
  primary_key: [issuance_id]
  columns:
    - {name: issuance_id, type: string}
    - {name: coupon_id, type: string, required: true}
    - {name: customer_id, type: string, required: true}
    - {name: issued_at, type: timestamp, required: true}
    - {name: expires_at, type: timestamp, required: true}
    - {name: issue_channel, type: enum, enum: issue_channel, required: true}
  checks:
    - {kind: bounds, column: issued_at}
    - {kind: bounds, column: expires_at, allow_future: true}
    - {kind: before, column: expires_at, other: issued_at, reason: expires_before_issued}
    - {kind: foreign_key, column: coupon_id, parent: coupons, parent_key: coupon_id}
    - {kind: foreign_key, column: customer_id, parent: customers, parent_key: customer_id}
marketing_touches:
  description: One message sent to one customer.
  primary_key: [touch_id]
  columns:
    - {name: touch_id, type: string}
    - {name: customer_id, type: string, required: true}
    - {name: campaign, type: string, required: true, clean: lower}
    - {name: touch_channel, type: enum, enum: touch_channel, required: true}
    - {name: sent_at, type: timestamp, required: true}
    - {name: opened_at, type: timestamp}
    - {name: clicked_at, type: timestamp}
  checks:
    - {kind: bounds, column: sent_at}
    - {kind: bounds, column: opened_at}
    - {kind: bounds, column: clicked_at}
    - {kind: foreign_key, column: customer_id, parent: customers, parent_key: customer_id}
marketing_spend:
  description: Spend per day, channel and campaign.
  primary_key: [spend_date, channel, campaign]
  required_key: [spend_date, channel]
  columns:
    - {name: spend_date, type: date}
    - {name: channel, type: enum, enum: channel}
    - {name: campaign, type: string, clean: lower}
    - {name: spend_amount, type: money, required: true}
    - {name: impressions, type: integer}
    - {name: clicks, type: integer}
  checks:
    - {kind: negative_money, columns: [spend_amount]}
    - {kind: negative_count, columns: [impressions, clicks]}
    - {kind: bounds, column: spend_date}
experiment_assignments:
  description: A/B test exposure.
  primary_key: [experiment_id, anonymous_id]
  columns:
    - {name: experiment_id, type: string}
    - {name: anonymous_id, type: string}
    - {name: variant, type: string, required: true, clean: lower}
    - {name: assigned_at, type: timestamp, required: true}
  checks:
    - {kind: bounds, column: assigned_at}
reviews:
  description: Product reviews.
  primary_key: [review_id]
  columns:
    - {name: review_id, type: string}
    - {name: order_item_id, type: string, required: true}
    - {name: customer_id, type: string, required: true}
    - {name: product_id, type: string, required: true}
    - {name: rating, type: integer, required: true}
    - {name: reviewed_at, type: timestamp, required: true}
  checks:
    - {kind: between, column: rating, low: 1, high: 5, reason: rating_out_of_range}
    - {kind: bounds, column: reviewed_at}
    - {kind: foreign_key, column: order_item_id, parent: order_items, parent_key: order_item_id}
    - {kind: foreign_key, column: product_id, parent: products, parent_key: product_id}
{%- endset -%}
{{ return(fromyaml(spec)) }}
{%- endmacro %}


{#- The spec of one raw table; an unknown name is a compile error naming it. -#}
{% macro shop_table_spec(table_name) -%}
    {%- set contract = shop_contract() -%}
    {%- if table_name not in contract -%}
        {{ exceptions.raise_compiler_error("shop_contract() has no table '" ~ table_name ~ "'") }}
    {%- endif -%}
    {{ return(contract[table_name]) }}
{%- endmacro %}


{#- The staging name of each column that reaches staging, in contract order. -#}
{% macro shop_output_columns(table_name) -%}
    {%- set names = [] -%}
    {%- for column in shop_table_spec(table_name).columns -%}
        {%- set output = column.get('output', column.name) -%}
        {%- if output -%}{%- do names.append(output) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#- `dbt run-operation print_shop_contract`: the spec as JSON, for the test that checks Python (src/orchard/contract.py) reads the same. -#}
{% macro print_shop_contract() -%}
    {{ print(tojson(shop_contract())) }}
{%- endmacro %}
