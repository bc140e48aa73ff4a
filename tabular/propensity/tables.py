"""Warehouse table definitions: columns, DuckDB types, keys and the quality rules checked on the way in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column: DuckDB type, whether it may be null, a numeric range and allowed values."""

    name: str
    dtype: str
    nullable: bool = False
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    month_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        """CREATE TABLE with every name quoted by DuckDB (client column names may be keywords, dotted...)."""
        from tabular.propensity.sqlnames import quote_identifier, quoted_list

        cols = ", ".join(
            f"{quote_identifier(c.name)} {c.dtype}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )
        return (
            f"CREATE TABLE IF NOT EXISTS {quote_identifier(self.name)} ({cols}, "
            f"PRIMARY KEY ({quoted_list(self.key)}))"
        )


def _id(name: str) -> Column:
    return Column(name, "BIGINT", low=0)


PRODUCTS_SOLD = ("life", "home", "health", "travel")
BANK_PRODUCTS = ("credit_card", "auto_finance", "mortgage")
REGIONS = ("north", "south", "east", "west", "capital", "islands")
OCCUPATIONS = ("employee", "self_employed", "retired", "student", "unemployed")
MARITAL = ("single", "married", "divorced", "widowed")

CUSTOMERS = Table(
    "customers",
    (
        _id("customer_id"),
        Column("sex", "VARCHAR", allowed=("F", "M")),
        Column("birth_year", "INTEGER", low=1900, high=2015),
        Column("income", "DOUBLE", nullable=True, low=0, high=5e6),
        Column("region", "VARCHAR", allowed=REGIONS),
        Column("occupation", "VARCHAR", allowed=OCCUPATIONS),
        Column("marital_status", "VARCHAR", allowed=MARITAL),
        Column("n_children", "INTEGER", low=0, high=20),
        Column("join_month", "DATE"),
        Column("digital_user", "BOOLEAN"),
    ),
    key=("customer_id",),
    description="demographics, one row per customer",
    month_columns=("join_month",),
)

HOLDINGS = Table(
    "holdings",
    (
        _id("holding_id"),
        _id("customer_id"),
        Column("product", "VARCHAR", allowed=BANK_PRODUCTS),
        Column("open_month", "DATE"),
        Column("close_month", "DATE", nullable=True),
        Column("amount", "DOUBLE", nullable=True, low=0, high=1e8),
    ),
    key=("holding_id",),
    description="bank products held (credit card, auto finance, mortgage)",
    month_columns=("open_month", "close_month"),
)

POLICIES = Table(
    "policies",
    (
        _id("policy_id"),
        _id("customer_id"),
        Column("product", "VARCHAR", allowed=PRODUCTS_SOLD),
        Column("start_month", "DATE"),
        Column("annual_premium", "DOUBLE", low=0, high=1e6),
    ),
    key=("policy_id",),
    description="insurance policies sold; a new policy in month t is a conversion in t",
    month_columns=("start_month",),
)

TRANSACTIONS = Table(
    "transactions",
    (
        _id("tx_id"),
        _id("customer_id"),
        Column("month", "DATE"),
        Column("n_tx", "INTEGER", low=0, high=100_000),
        Column("amount", "DOUBLE", low=0, high=1e8),
        Column("amount_travel", "DOUBLE", low=0, high=1e8),
        Column("amount_health", "DOUBLE", low=0, high=1e8),
        Column("amount_home", "DOUBLE", low=0, high=1e8),
    ),
    key=("tx_id",),
    description="monthly card/account transaction summary per customer",
    month_columns=("month",),
)

INTERACTIONS = Table(
    "interactions",
    (
        _id("interaction_id"),
        _id("customer_id"),
        Column("month", "DATE"),
        Column("channel", "VARCHAR", allowed=("branch", "phone", "web", "app")),
        Column("kind", "VARCHAR", allowed=("inquiry", "service", "complaint")),
    ),
    key=("interaction_id",),
    description="contacts with the bank",
    month_columns=("month",),
)

PROMOS = Table(
    "promos",
    (
        _id("promo_id"),
        _id("customer_id"),
        Column("month", "DATE"),
        Column("campaign", "VARCHAR", allowed=("email", "sms", "branch", "call")),
        Column("product", "VARCHAR", allowed=PRODUCTS_SOLD),
    ),
    key=("promo_id",),
    description="marketing contacts (promo events)",
    month_columns=("month",),
)

PRODUCTS = Table(
    "products",
    (
        Column("product", "VARCHAR"),
        Column("line", "VARCHAR", allowed=("bank", "insurance")),
        Column("min_age", "INTEGER", low=0, high=120),
        Column("max_age", "INTEGER", low=0, high=120),
        Column("base_premium", "DOUBLE", nullable=True, low=0),
        Column("description", "VARCHAR"),
    ),
    key=("product",),
    description="product specifications",
)

MORTALITY = Table(
    "mortality",
    (
        Column("age", "INTEGER", low=0, high=120),
        Column("sex", "VARCHAR", allowed=("F", "M")),
        Column("qx", "DOUBLE", low=0, high=1),
    ),
    key=("age", "sex"),
    description="external mortality table: probability of death within a year",
)

ALL_TABLES: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, HOLDINGS, POLICIES, TRANSACTIONS, INTERACTIONS, PROMOS, PRODUCTS, MORTALITY)
}
