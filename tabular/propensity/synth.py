"""Synthetic bancassurance data with planted, learnable signal (vectorised numpy; 1M customers is feasible).

The generator walks month by month over all customers at once. A customer's chance to buy a policy
in month t depends only on what happened up to t-1 (promos, inquiries, a new mortgage, a jump in
spending, age, income, holdings), plus a hidden life event that the data shows only indirectly, so
the signal is learnable but not trivially so, and partly non-linear (age hump, income threshold,
promo x digital interaction) so boosted trees have something to find over a linear baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tabular.propensity.months import parse_month
from tabular.propensity.tables import ALL_TABLES, MARITAL, OCCUPATIONS, PRODUCTS_SOLD, REGIONS

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    MonthSink = Callable[[str, int, pd.DataFrame], None]

MONTHLY_TABLES = ("transactions", "interactions", "promos")


@dataclass(frozen=True)
class SynthConfig:
    """Size, seed and calendar of a generated data set; ``end_month`` is the current month M."""

    n_customers: int = 10_000
    end_month: str = "2021-03"
    history_months: int = 30
    future_months: int = 1
    seed: int = 0
    missing_income_rate: float = 0.03
    bad_row_rate: float = 0.0005


@dataclass
class SynthData:
    """The generated tables (as the bank would deliver them) and the hidden truth of future months."""

    tables: dict[str, pd.DataFrame]
    future_conversions: pd.DataFrame
    config: SynthConfig
    extra: dict[str, Any] = field(default_factory=dict)


def month_dates(index: np.ndarray | int) -> np.ndarray:
    """Month indices -> ``datetime64[D]`` first-of-month dates."""
    return (np.asarray(index, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def mortality_table() -> pd.DataFrame:
    """A Gompertz-Makeham q_x table by age and sex (female mortality about 60% of male)."""
    import pandas as pd

    ages = np.arange(0, 111)
    male = np.clip(0.0005 + 0.00002 * np.exp(0.1 * ages), 0, 1)
    female = np.clip(0.0003 + 0.000012 * np.exp(0.1 * ages), 0, 1)
    return pd.DataFrame(
        {
            "age": np.concatenate([ages, ages]),
            "sex": ["M"] * len(ages) + ["F"] * len(ages),
            "qx": np.concatenate([male, female]).round(6),
        }
    )


def products_table() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            ("credit_card", "bank", 18, 99, None, "revolving credit card"),
            ("auto_finance", "bank", 18, 80, None, "car loan, 4-6 years"),
            ("mortgage", "bank", 21, 75, None, "home loan, 20-30 years"),
            ("life", "insurance", 18, 70, 60.0, "term life cover, sum assured 2-5x income"),
            ("home", "insurance", 18, 99, 150.0, "buildings and contents"),
            ("health", "insurance", 18, 75, 200.0, "private health top-up"),
            ("travel", "insurance", 18, 85, 40.0, "annual multi-trip travel"),
        ],
        columns=["product", "line", "min_age", "max_age", "base_premium", "description"],
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def premium_for(
    product: np.ndarray, age: np.ndarray, income: np.ndarray, qx: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Annual premium of a new policy: life is priced on q_x x sum assured, the others on income/age."""
    income = np.where(np.isnan(income), 40_000.0, income)
    sum_assured = income * rng.uniform(2.0, 5.0, len(age))
    life = 60.0 + sum_assured * qx * 1.4
    home = 150.0 + 0.004 * income
    health = 200.0 + 9.0 * np.clip(age - 18, 0, None) + 0.001 * income
    travel = 40.0 + 0.0015 * income
    base = np.select(
        [product == "life", product == "home", product == "health"], [life, home, health], travel
    )
    return np.round(base * rng.lognormal(0.0, 0.12, len(age)), 2)


def generate_tables(config: SynthConfig, emit: MonthSink) -> SynthData:
    """Generate ``config.history_months`` months ending at ``end_month``, plus the future's truth.

    The monthly tables (transactions, interactions, promos) go to ``emit(table, month, frame)`` month by
    month as they are made, so a caller can write them out and memory stays bounded by one month; the
    returned ``SynthData.tables`` holds the per-customer tables only.
    """
    import pandas as pd

    rng = np.random.default_rng(config.seed)
    n = int(config.n_customers)
    if n < 10:
        raise ValueError("n_customers must be at least 10")
    end = parse_month(config.end_month)
    first = end - config.history_months + 1
    last = end + config.future_months
    n_months = last - first + 1
    ids = np.arange(1, n + 1, dtype=np.int64)

    # -- customers ------------------------------------------------------------------------------
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    age_end = np.clip(rng.normal(46, 15, n), 18, 90).round()
    birth_year = (end // 12 - age_end).astype(np.int64)
    income = np.exp(rng.normal(np.log(42_000) + 0.25 * np.tanh((age_end - 25) / 15), 0.5, n)).round(0)
    occupation = rng.choice(OCCUPATIONS[:2], n, p=[0.8, 0.2]).astype(object)
    occupation[(age_end > 64) & (rng.random(n) < 0.85)] = "retired"
    occupation[(age_end < 25) & (rng.random(n) < 0.5)] = "student"
    occupation[rng.random(n) < 0.04] = "unemployed"
    occupation = occupation.astype(str)
    income = np.where(occupation == "retired", income * 0.6, income)
    income = np.where(occupation == "student", income * 0.3, income)
    income = np.where(occupation == "unemployed", income * 0.35, income).round(0)
    income_obs = income.copy()
    income_obs[rng.random(n) < config.missing_income_rate] = np.nan
    region = rng.choice(REGIONS, n, p=[0.2, 0.2, 0.15, 0.15, 0.25, 0.05])
    married_p = np.clip((age_end - 22) / 30, 0.05, 0.7)
    u = rng.random(n)
    marital = np.select(
        [u < married_p, u < married_p + 0.1, (age_end > 70) & (u < married_p + 0.25)],
        [MARITAL[1], MARITAL[2], MARITAL[3]],
        MARITAL[0],
    )
    n_children = np.where(age_end > 25, rng.poisson(1.1, n), 0)
    # Most customers predate the window; ~12% join during it (their history starts at join).
    join = np.where(rng.random(n) < 0.12, rng.integers(first, end + 1, n), first - rng.integers(1, 180, n))
    digital = rng.random(n) < _sigmoid(2.0 - 0.07 * (age_end - 40))

    # -- bank products ---------------------------------------------------------------------------
    holdings_rows = []
    hid = 0
    span = last - (first - 120)
    mortgage_open = np.full(n, 10**9, dtype=np.int64)
    for product, prob in (("credit_card", 0.55), ("auto_finance", 0.2), ("mortgage", 0.3)):
        p = np.full(n, prob)
        if product == "mortgage":
            p = p * np.where((age_end > 27) & (age_end < 60), 1.6, 0.4) * np.where(income > 35_000, 1.3, 0.6)
        has = rng.random(n) < np.clip(p, 0, 0.95)
        # Open month: some well before the window, a share during it (fresh mortgages matter).
        open_m = np.where(
            rng.random(n) < 0.35, rng.integers(first, last + 1, n), last - rng.integers(1, span, n)
        )
        open_m = np.maximum(open_m, join)
        close_m = np.where(
            rng.random(n) < (0.7 if product == "auto_finance" else 0.1), open_m + rng.integers(24, 72, n), -1
        )
        idx = np.flatnonzero(has)
        if product == "mortgage":
            mortgage_open[idx] = open_m[idx]
        amount = {
            "credit_card": rng.choice([2000.0, 5000, 10000], n),
            "auto_finance": rng.uniform(8e3, 4e4, n),
            "mortgage": np.round(np.nan_to_num(income, nan=40_000) * rng.uniform(3, 6, n), -3),
        }[product]
        holdings_rows.append(
            pd.DataFrame(
                {
                    "holding_id": np.arange(hid + 1, hid + len(idx) + 1, dtype=np.int64),
                    "customer_id": ids[idx],
                    "product": product,
                    "open_month": month_dates(open_m[idx]),
                    "close_month": pd.Series(month_dates(np.where(close_m[idx] > 0, close_m[idx], 0))).where(
                        close_m[idx] > 0
                    ),
                    "amount": amount[idx],
                }
            )
        )
        hid += len(idx)
    holdings = pd.concat(holdings_rows, ignore_index=True)
    has_card = np.isin(ids, holdings.loc[holdings["product"] == "credit_card", "customer_id"].to_numpy())

    # -- existing policies before the window --------------------------------------------------------
    qx_m = mortality_table()
    qx_lookup = {s: qx_m.loc[qx_m["sex"] == s, "qx"].to_numpy() for s in ("F", "M")}

    def qx_of(age: np.ndarray, sx: np.ndarray) -> np.ndarray:
        a = np.clip(age.astype(int), 0, 110)
        return np.where(sx == "F", qx_lookup["F"][a], qx_lookup["M"][a])

    held_life = rng.random(n) < 0.12
    old_idx = np.flatnonzero(held_life | (rng.random(n) < 0.1))
    old_product = np.where(held_life[old_idx], "life", rng.choice(["home", "health", "travel"], len(old_idx)))
    old_start = np.maximum(first - rng.integers(1, 100, len(old_idx)), join[old_idx])
    old_age = (old_start // 12 - birth_year[old_idx]).astype(float)
    policy_parts = [
        pd.DataFrame(
            {
                "customer_id": ids[old_idx],
                "product": old_product,
                "start_month": old_start,
                "annual_premium": premium_for(
                    old_product, old_age, income[old_idx], qx_of(old_age, sex[old_idx]), rng
                ),
            }
        )
    ]
    n_policies = np.zeros(n, dtype=np.int64)
    np.add.at(n_policies, old_idx, 1)

    # -- the monthly walk ---------------------------------------------------------------------------
    base_spend = np.exp(rng.normal(np.log(900), 0.6, n)) * np.clip(
        np.nan_to_num(income, nan=4e4) / 42_000, 0.3, 3
    )
    travel_taste = rng.beta(1.2, 8, n)
    base_tx = rng.gamma(3.0, 8.0, n)
    promo_rate = np.where(digital, 0.07, 0.04)
    life_event_left = np.zeros(n, dtype=np.int64)
    ring = 12  # the walk looks back at most 12 months: keep those, not every month of every customer
    spend = np.zeros((n, ring), dtype=np.float32)
    promo = np.zeros((n, ring), dtype=bool)
    inquiry = np.zeros((n, ring), dtype=bool)
    complaint = np.zeros((n, ring), dtype=bool)

    def back(lo: int, hi: int) -> list[int]:
        """Ring columns of walk months lo..hi-1, oldest first."""
        return [t % ring for t in range(lo, hi)]

    conversions: list[pd.DataFrame] = []
    next_id = {"transactions": 1, "interactions": 1, "promos": 1}
    # dirty rows come from their own stream, so planting them never shifts the data drawn after them
    dirt = np.random.default_rng([config.seed, 1])
    income_filled = np.nan_to_num(income, nan=40_000)
    for j in range(n_months):
        m = first + j
        active = join <= m
        age = (m // 12 - birth_year).astype(float)
        # A hidden life event (new baby, moving home) lasting ~4 months: shows as spending on home,
        # more inquiries and, with lag, conversions.
        start_event = active & (life_event_left == 0) & (rng.random(n) < 0.012)
        life_event_left = np.where(start_event, 4, np.maximum(life_event_left - 1, 0))
        in_event = life_event_left > 0
        season = 1.0 + 0.15 * np.sin(2 * np.pi * (m % 12) / 12) + (0.25 if m % 12 == 11 else 0)
        amount = base_spend * season * rng.gamma(6.0, 1 / 6.0, n) * np.where(in_event, 1.5, 1.0)
        amount = np.where(active, amount, 0.0)
        spend[:, j % ring] = amount
        n_tx = np.where(active, rng.poisson(base_tx * np.where(in_event, 1.3, 1.0)), 0)
        travel = amount * travel_taste * rng.uniform(0.3, 1.7, n) * (1.8 if m % 12 in (6, 7) else 1)
        health = amount * rng.beta(1, 20, n)
        home = amount * rng.beta(1, 12, n) * np.where(in_event, 4.0, 1.0)
        act = np.flatnonzero(active)
        tx = {
            "customer_id": ids[act],
            "n_tx": n_tx[act].astype(np.int32),
            "amount": np.round(amount[act], 2),
            "amount_travel": np.round(travel[act], 2),
            "amount_health": np.round(health[act], 2),
            "amount_home": np.round(home[act], 2),
        }
        del travel, health, home

        p_contact = 0.06 + 0.25 * in_event
        inq = active & (rng.random(n) < p_contact)
        comp = active & (rng.random(n) < 0.01)
        serv = active & (rng.random(n) < 0.08)
        inquiry[:, j % ring], complaint[:, j % ring] = inq, comp
        inter = []
        for kind, mask in (("inquiry", inq), ("complaint", comp), ("service", serv)):
            idx = np.flatnonzero(mask)
            channel = np.where(
                digital[idx], rng.choice(["web", "app"], len(idx)), rng.choice(["branch", "phone"], len(idx))
            )
            inter.append((idx, channel, kind))
        pr = active & (rng.random(n) < promo_rate)
        promo[:, j % ring] = pr
        idx = np.flatnonzero(pr)
        promo_cols = {
            "customer_id": ids[idx],
            "campaign": np.where(
                digital[idx],
                rng.choice(["email", "sms"], len(idx)),
                rng.choice(["branch", "call"], len(idx)),
            ).astype(str),
            "product": rng.choice(PRODUCTS_SOLD, len(idx), p=[0.4, 0.3, 0.2, 0.1]).astype(str),
        }

        # Conversion in month m from what is visible up to m-1 (walk month j-1) plus the hidden event.
        if j >= 1:
            recent_spend = spend[:, back(max(0, j - 3), j)].mean(axis=1)
            past_spend = spend[:, back(max(0, j - 12), max(0, j - 3))].mean(axis=1) if j > 3 else recent_spend
            jump = recent_spend / np.maximum(past_spend, 1.0)
            months_since_mortgage = m - mortgage_open
            recent_mortgage_flag = (months_since_mortgage >= 1) & (months_since_mortgage <= 3)
            logit = (
                -4.6
                - 1.5 * ((age - 40) / 12) ** 2
                + 1.6 * promo[:, (j - 1) % ring] * np.where(digital, 1.0, 0.15)
                + 0.5 * promo[:, max(0, j - 2) % ring] * digital
                + 1.4 * inquiry[:, (j - 1) % ring] * (n_policies == 0)
                + 1.8 * recent_mortgage_flag
                + 0.8 * (income_filled > 60_000) * (age < 55)
                + 0.8 * (jump > 1.3)
                - 1.0 * complaint[:, back(max(0, j - 6), j)].any(axis=1)
                - 0.6 * np.minimum(n_policies, 2)
                + 0.3 * has_card
                + 1.0 * in_event
            )
            buy = active & (rng.random(n) < _sigmoid(logit))
            idx = np.flatnonzero(buy)
            recent_mortgage = (months_since_mortgage[idx] >= 0) & (months_since_mortgage[idx] <= 6)
            product = np.where(
                recent_mortgage, "life", rng.choice(PRODUCTS_SOLD, len(idx), p=[0.35, 0.3, 0.2, 0.15])
            )
            product = np.where(
                (product == "travel") | (travel_taste[idx] > 0.25),
                np.where(rng.random(len(idx)) < 0.5, "travel", product),
                product,
            )
            prem = premium_for(product, age[idx], income[idx], qx_of(age[idx], sex[idx]), rng)
            conversions.append(
                pd.DataFrame(
                    {"customer_id": ids[idx], "product": product, "start_month": m, "annual_premium": prem}
                )
            )
            n_policies[idx] += 1
        if m > end:  # future months: only their conversions are kept (the hidden truth)
            continue
        def dates(count: int, m: int = m) -> np.ndarray:
            return month_dates(np.full(count, m))

        frames = {
            "transactions": _dirty_month(pd.DataFrame({"customer_id": tx["customer_id"], "month": dates(len(act)),
                                                       **{k: v for k, v in tx.items() if k != "customer_id"}}),
                                         dirt, config.bad_row_rate),
            "interactions": pd.DataFrame(
                {
                    "customer_id": np.concatenate([ids[p[0]] for p in inter]),
                    "month": dates(sum(len(p[0]) for p in inter)),
                    "channel": np.concatenate([p[1] for p in inter]).astype(str),
                    "kind": np.concatenate([np.full(len(p[0]), p[2]) for p in inter]).astype(str),
                }
            ),
            "promos": pd.DataFrame({"customer_id": promo_cols["customer_id"], "month": dates(len(promo_cols["customer_id"])),
                                    "campaign": promo_cols["campaign"], "product": promo_cols["product"]}),
        }
        for name, frame in frames.items():
            key = ALL_TABLES[name].key[0]
            frame.insert(0, key, np.arange(next_id[name], next_id[name] + len(frame), dtype=np.int64))
            next_id[name] += len(frame)
            emit(name, m, frame)
        del tx, frames

    policies = pd.concat(policy_parts + conversions, ignore_index=True)
    policies.insert(0, "policy_id", np.arange(1, len(policies) + 1, dtype=np.int64))
    # Split off the future (months after M): it is the truth the leads are judged against later.
    future = policies[policies["start_month"] > end]
    future_conv = (
        future.groupby("customer_id")
        .size()
        .rename("conversions")
        .reset_index()
        .assign(month=month_dates(future.groupby("customer_id")["start_month"].min().to_numpy()))
    )
    policies = policies[policies["start_month"] <= end].reset_index(drop=True)
    policies["start_month"] = month_dates(policies["start_month"].to_numpy())
    holdings = holdings[holdings["open_month"] <= month_dates(end)].reset_index(drop=True)
    holdings.loc[holdings["close_month"] > month_dates(end), "close_month"] = pd.NaT
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "sex": sex,
            "birth_year": birth_year.astype(np.int32),
            "income": income_obs,
            "region": region,
            "occupation": occupation,
            "marital_status": marital,
            "n_children": n_children.astype(np.int32),
            "join_month": month_dates(join),
            "digital_user": digital,
        }
    )
    customers = customers[join <= end].reset_index(drop=True)
    if config.bad_row_rate > 0:  # impossible birth years for the quarantine
        kc = max(1, int(len(customers) * config.bad_row_rate))
        customers.loc[customers.index[dirt.choice(len(customers), kc, replace=False)], "birth_year"] = 1850
    tables = {
        "customers": customers,
        "holdings": holdings,
        "policies": policies,
        "products": products_table(),
        "mortality": mortality_table(),
    }
    return SynthData(tables=tables, future_conversions=future_conv, config=config)


def generate(config: SynthConfig) -> SynthData:
    """Every table in memory (tests, small sets): ``generate_tables`` with the monthly tables collected."""
    import pandas as pd

    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in MONTHLY_TABLES}
    data = generate_tables(config, lambda name, _month, frame: parts[name].append(frame))
    monthly = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    tables = {name: data.tables.get(name, monthly.get(name)) for name in ALL_TABLES}
    return SynthData(tables=tables, future_conversions=data.future_conversions, config=config)


def _dirty_month(tx: pd.DataFrame, rng: np.random.Generator, rate: float) -> pd.DataFrame:
    """Real feeds are dirty: a few negative amounts and re-sent rows in each month's transactions."""
    import pandas as pd

    if rate <= 0 or not len(tx):
        return tx
    k = max(1, int(len(tx) * rate))
    bad = rng.choice(len(tx), k, replace=False)
    amount = tx["amount"].to_numpy().copy()
    amount[bad] = -amount[bad]
    tx["amount"] = amount
    return pd.concat([tx, tx.iloc[rng.choice(len(tx), k, replace=False)]], ignore_index=True)


def generic_frame(n_rows: int = 2000, n_months: int = 12, seed: int = 0) -> pd.DataFrame:
    """A churn-like table with columns unlike the bancassurance schema, for testing generic mode."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_ids = max(10, n_rows // n_months)
    acct = np.repeat(np.arange(1000, 1000 + n_ids), n_months)
    period = np.tile(np.arange(n_months), n_ids)
    tenure = rng.integers(1, 120, len(acct)) + period
    usage = rng.gamma(2.0, 50.0, len(acct))
    plan = rng.choice(["basic", "plus", "pro"], len(acct))
    tickets = rng.poisson(0.5, len(acct))
    logit = (
        -2.5
        + 0.8 * (tickets >= 2)
        - 0.01 * tenure
        + 0.6 * (plan == "basic")
        - 0.004 * usage
        + 1.5 * (usage < 20)
    )
    label = rng.random(len(acct)) < _sigmoid(logit)
    frame = pd.DataFrame(
        {
            "acct_no": acct,
            "period": [f"2022-{p % 12 + 1:02d}" for p in period],
            "tenure_m": tenure,
            "usage_gb": usage.round(2),
            "plan": plan,
            "support_tickets": tickets,
            "left_us": label.astype(int),
        }
    )
    frame.loc[rng.random(len(frame)) < 0.02, "usage_gb"] = np.nan
    return frame


def insurance_marketing_frame(
    n_rows: int = 5822, seed: int = 0, signal: str = "linear", positive_rate: float = 0.06
) -> pd.DataFrame:
    """A look-alike of the insurance-marketing (CoIL 2000) shape: 85 small-integer columns
    ``col_1..col_85`` (socio-demographic levels 0-9 and product counts 0-5) and a binary ``target`` with
    about ``positive_rate`` buyers. ``signal="linear"``: the log-odds are linear in a few columns (a
    logistic regression is the right model); ``"interaction"``: buyers sit in a pocket defined by two
    columns jointly and a threshold on a third (trees find it, a linear model cannot)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.integers(0, 10, n_rows) for _ in range(43)] + [rng.poisson(0.6, n_rows).clip(0, 5) for _ in range(42)]
    ).astype(np.int64)
    if signal == "linear":
        # many small additive effects (as in socio-demographic scores): a linear model's home ground
        weights = rng.choice([-1.0, 1.0], 60) * rng.uniform(0.5, 1.0, 60)
        z = (x[:, :60] - x[:, :60].mean(axis=0)) / x[:, :60].std(axis=0)
        logit = 0.45 * z @ weights
    elif signal == "interaction":
        pocket = (x[:, 0] >= 6) & (x[:, 1] <= 3) & (x[:, 2] >= 3)
        logit = 3.5 * pocket + 0.3 * (x[:, 45] > 0)
    else:
        raise ValueError(f"signal must be 'linear' or 'interaction', not {signal!r}")
    # shift the intercept so that about positive_rate of the rows buy
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _sigmoid(logit + mid).mean() < positive_rate else (lo, mid)
    y = rng.random(n_rows) < _sigmoid(logit + (lo + hi) / 2)
    frame = pd.DataFrame(x, columns=[f"col_{i}" for i in range(1, 86)])
    frame["target"] = y.astype(np.int64)
    return frame
