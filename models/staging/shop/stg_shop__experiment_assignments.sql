with experiment_assignments as (
    select * from {{ ref('base_shop__experiment_assignments') }}
),

final as (
    select
        experiment_id,
        anonymous_id,
        variant,
        assigned_at
    from experiment_assignments
    where rejection_reason is null
)

select * from final
