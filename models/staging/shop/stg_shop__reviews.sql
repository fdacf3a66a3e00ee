with reviews as (
    select * from {{ ref('base_shop__reviews') }}
),

final as (
    select
        review_id,
        order_item_id,
        customer_id,
        product_id,
        rating,
        reviewed_at
    from reviews
    where rejection_reason is null
)

select * from final
