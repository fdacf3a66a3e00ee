{#
    Daily incremental builds of the big facts (README, "Daily incremental
    builds"). A model built incrementally reprocesses the rows whose own time,
    or whose latest change, falls after its previous high-water mark minus
    var incremental_lookback_days (late-arriving rows), replaces them by key
    (delete+insert), and deletes the rows that vanished from staging (a row
    quarantined by a later delivery). Spark's default file format has no
    delete: there these models stay tables.
#}
{% macro incremental_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}


{#- The earliest instant an incremental run reprocesses: the previous high-water mark of
    watermark_column in this model, minus the lookback. -#}
{% macro incremental_lookback_start(watermark_column) -%}
    (
        select {{ dbt.dateadd('day', -1 * var('incremental_lookback_days') | int, 'max(' ~ watermark_column ~ ')') }}
        from {{ this }}
    )
{%- endmacro %}


{#- post-hook: rows whose key no longer exists upstream leave this model too. -#}
{% macro delete_vanished_rows(key, upstream) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ key }} not in (select {{ key }} from {{ upstream }})
    {%- endif -%}
{%- endmacro %}


{#-
    Orders an incremental run must reprocess: placed or changed (a late
    cancellation) after the lookback start, or with a return dated after it.
    A model calling this declares its inputs with `-- depends_on:` comments
    (refs in a branch that only runs incrementally are not seen at parse time).
-#}
{% macro changed_order_ids() -%}
    select order_id from {{ ref('stg_shop__orders') }}
    where
        updated_at >= {{ incremental_lookback_start('ordered_at') }}
        or ordered_at >= {{ incremental_lookback_start('ordered_at') }}
    union
    select order_items.order_id
    from {{ ref('stg_shop__returns') }} as returns
    inner join {{ ref('stg_shop__order_items') }} as order_items
        on returns.order_item_id = order_items.order_item_id
    where returns.returned_at >= {{ incremental_lookback_start('ordered_at') }}
{%- endmacro %}
