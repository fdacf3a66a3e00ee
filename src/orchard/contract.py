"""The raw data contract (../shared/spec/raw-contract.md) as data.

One source of truth for every Python piece that speaks the contract: the loader
that validates a raw directory, the demo-shop generator, the dataset loaders and
the tests. dbt reads the same tables through the `shop` source.
"""

from __future__ import annotations

from dataclasses import dataclass

# Logical contract types mapped to DuckDB column types. Money is DECIMAL(18, 2).
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "decimal": "DECIMAL(18, 2)",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}

CHANNELS: tuple[str, ...] = (
    "organic_search",
    "paid_search",
    "social",
    "feed_ads",
    "content",
    "kol",
    "referral",
    "email",
    "push",
    "sms",
    "affiliate",
    "direct",
)
DEVICE_TYPES: tuple[str, ...] = ("desktop", "mobile_web", "ios_app", "android_app", "tablet")
EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "search",
    "product_view",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "signup",
    "login",
    "coupon_claim",
    "share",
)
ORDER_STATUSES: tuple[str, ...] = ("placed", "paid", "shipped", "delivered", "cancelled", "returned")
RETURN_REASONS: tuple[str, ...] = (
    "damaged",
    "not_as_described",
    "wrong_size",
    "changed_mind",
    "late_delivery",
    "other",
)
COUPON_TYPES: tuple[str, ...] = ("amount_off", "percent_off", "threshold", "free_shipping", "first_order")
ISSUE_CHANNELS: tuple[str, ...] = ("sms", "push", "email", "in_app", "customer_service")
TOUCH_CHANNELS: tuple[str, ...] = ("email", "push", "sms", "in_app")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, type_: str, nullable: bool = False, description: str = "") -> Column:
    return Column(name, type_, nullable, description)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            True,
            ("customer_id",),
            (
                _c("customer_id", "string", description="Account id."),
                _c("signed_up_at", "timestamp", description="Registration time (UTC)."),
                _c("email", "string", description="PII: never exposed unmasked in marts."),
                _c("phone", "string", True, "PII: never exposed unmasked in marts."),
                _c("country", "string", description="ISO 3166 alpha-2 country code."),
                _c("city", "string", True),
                _c("birth_date", "date", True),
                _c("acquisition_channel", "string", description="Channel of the signup session."),
                _c("referrer_customer_id", "string", True, "The customer who invited this one."),
                _c("anonymous_id", "string", True, "Device/cookie id the account was created from."),
                _c("updated_at", "timestamp", description="Last change of this row."),
            ),
            "One row per registered account.",
        ),
        Table(
            "products",
            True,
            ("product_id",),
            (
                _c("product_id", "string"),
                _c("product_name", "string"),
                _c("category", "string", description="Top-level category."),
                _c("subcategory", "string", True),
                _c("brand", "string", True),
                _c("list_price", "decimal", description="Current list price."),
                _c("unit_cost", "decimal", description="Current landed cost per unit."),
                _c("launched_at", "date", description="First day on sale."),
                _c("discontinued_at", "date", True, "Last day on sale."),
            ),
            "One row per sellable item (SKU).",
        ),
        Table(
            "sessions",
            False,
            ("session_id",),
            (
                _c("session_id", "string"),
                _c("anonymous_id", "string", description="Device/cookie id; a visitor is an anonymous_id."),
                _c("customer_id", "string", True, "Set when the visitor was logged in at any point."),
                _c("started_at", "timestamp"),
                _c("ended_at", "timestamp", description=">= started_at."),
                _c("channel", "string", description="Same vocabulary as customers.acquisition_channel."),
                _c("utm_source", "string", True),
                _c("utm_medium", "string", True),
                _c("utm_campaign", "string", True),
                _c("device_type", "string", description="desktop, mobile_web, ios_app, android_app, tablet."),
                _c("landing_page", "string", True),
            ),
            "One row per visit (web or app).",
        ),
        Table(
            "events",
            False,
            ("event_id",),
            (
                _c("event_id", "string"),
                _c("session_id", "string", description="FK sessions."),
                _c("anonymous_id", "string"),
                _c("customer_id", "string", True),
                _c("event_at", "timestamp", description="Inside the session's span."),
                _c("event_type", "string"),
                _c("product_id", "string", True, "For product_view, add_to_cart, remove_from_cart."),
                _c("order_id", "string", True, "For purchase."),
                _c("search_query", "string", True, "For search."),
            ),
            "One row per tracked action inside a session.",
        ),
        Table(
            "orders",
            True,
            ("order_id",),
            (
                _c("order_id", "string"),
                _c("customer_id", "string", description="FK customers (no guest checkout)."),
                _c("session_id", "string", True, "The session the order was placed in."),
                _c("ordered_at", "timestamp"),
                _c("status", "string", description="placed, paid, shipped, delivered, cancelled, returned."),
                _c("coupon_code", "string", True, "Code applied at checkout."),
                _c("order_discount_amount", "decimal", description="Order-level discount (coupon), >= 0."),
                _c("shipping_amount", "decimal", description=">= 0."),
                _c("tax_amount", "decimal", description=">= 0."),
                _c("updated_at", "timestamp", description="Last change of this row."),
            ),
            "One row per order, latest state.",
        ),
        Table(
            "order_items",
            True,
            ("order_item_id",),
            (
                _c("order_item_id", "string"),
                _c("order_id", "string", description="FK orders."),
                _c("product_id", "string", description="FK products."),
                _c("quantity", "integer", description="> 0."),
                _c("unit_price", "decimal", description="Price paid per unit before discounts."),
                _c("unit_cost", "decimal", description="Landed cost per unit at time of sale."),
                _c("item_discount_amount", "decimal", description="Line-level discount, >= 0."),
            ),
            "One row per order line.",
        ),
        Table(
            "returns",
            False,
            ("return_id",),
            (
                _c("return_id", "string"),
                _c("order_item_id", "string", description="FK order_items."),
                _c("returned_at", "timestamp"),
                _c("quantity", "integer", description="1..ordered quantity."),
                _c("refund_amount", "decimal", description=">= 0."),
                _c("reason", "string"),
            ),
            "One row per refunded return.",
        ),
        Table(
            "coupons",
            False,
            ("coupon_id",),
            (
                _c("coupon_id", "string"),
                _c("coupon_code", "string", description="Unique."),
                _c("campaign", "string"),
                _c("coupon_type", "string"),
                _c("discount_value", "decimal", description="Amount, or percent for percent_off."),
                _c("min_order_amount", "decimal", True, "Threshold for threshold coupons."),
                _c("valid_from", "timestamp"),
                _c("valid_to", "timestamp"),
                _c("is_public", "boolean", description="True: anyone may use the code."),
            ),
            "One row per coupon definition.",
        ),
        Table(
            "coupon_issuances",
            False,
            ("issuance_id",),
            (
                _c("issuance_id", "string"),
                _c("coupon_id", "string", description="FK coupons."),
                _c("customer_id", "string", description="FK customers."),
                _c("issued_at", "timestamp"),
                _c("expires_at", "timestamp"),
                _c("issue_channel", "string"),
            ),
            "A coupon granted to one customer.",
        ),
        Table(
            "marketing_touches",
            False,
            ("touch_id",),
            (
                _c("touch_id", "string"),
                _c("customer_id", "string"),
                _c("campaign", "string"),
                _c("touch_channel", "string"),
                _c("sent_at", "timestamp"),
                _c("opened_at", "timestamp", True),
                _c("clicked_at", "timestamp", True),
            ),
            "One message sent to one customer.",
        ),
        Table(
            "marketing_spend",
            False,
            ("spend_date", "channel", "campaign"),
            (
                _c("spend_date", "date"),
                _c("channel", "string"),
                _c("campaign", "string", True),
                _c("spend_amount", "decimal", description=">= 0."),
                _c("impressions", "integer", True),
                _c("clicks", "integer", True),
            ),
            "Spend per day, channel and campaign.",
        ),
        Table(
            "experiment_assignments",
            False,
            ("experiment_id", "anonymous_id"),
            (
                _c("experiment_id", "string"),
                _c("anonymous_id", "string", description="Unit of randomisation."),
                _c("variant", "string", description="control or a treatment name."),
                _c("assigned_at", "timestamp"),
            ),
            "A/B test exposure.",
        ),
        Table(
            "reviews",
            False,
            ("review_id",),
            (
                _c("review_id", "string"),
                _c("order_item_id", "string", description="FK order_items."),
                _c("customer_id", "string"),
                _c("product_id", "string"),
                _c("rating", "integer", description="1..5."),
                _c("reviewed_at", "timestamp"),
            ),
            "Product reviews.",
        ),
    )
}

REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.required)
