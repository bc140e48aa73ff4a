"""Point-in-time features: for a cutoff month c, only data of months <= c is used.

Monthly activity is laid out as a dense customer x month panel; window sums are differences of
cumulative sums, so a feature at cutoff c can only see columns <= c (and data after the latest
cutoff is dropped before the panel is built). ``FeaturePrep`` is the fitted part (imputation,
outlier caps, log transforms, bins, one-hot) learnt on training rows only and saved with the model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InvalidInput
from tabular.propensity.months import month_start

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.ingest import Warehouse

log = logging.getLogger(__name__)

WINDOWS = (1, 3, 6, 12, 18)
NEVER = 24  # recency value for "not in the last 24 months / never"
CATEGORICAL = ("sex", "region", "occupation", "marital_status")
LOG_COLUMNS_PREFIX = ("amount", "income", "mortgage_amount", "monetary")
_MONTH_SQL = "(year({c}) * 12 + month({c}) - 1)"


@dataclass
class Sources:
    """The warehouse tables a feature build needs, already cut at the latest allowed month."""

    customers: pd.DataFrame
    holdings: pd.DataFrame
    policies: pd.DataFrame
    transactions: pd.DataFrame
    interactions: pd.DataFrame
    promos: pd.DataFrame
    mortality: pd.DataFrame
    upto: int


def load_sources(warehouse: Warehouse, upto: int, relations: dict[str, str] | None = None) -> Sources:
    """Read every table with months as integers, dropping anything after month ``upto``.

    ``relations``: what to read instead of a warehouse table (table name -> an SQL FROM item), e.g. one
    shard's Parquet partition (``sharded.py``); the SQL is the same either way.
    """
    m = _MONTH_SQL.format
    cut = f"DATE '{month_start(upto)}'"
    t = {name: (relations or {}).get(name, name) for name in (
        "customers", "holdings", "policies", "transactions", "interactions", "promos")}
    with warehouse.connect(read_only=True) as con:

        def q(sql: str) -> pd.DataFrame:
            return con.execute(sql).df()

        customers = q(
            f"SELECT customer_id, sex, birth_year, income, region, occupation, marital_status, n_children,"
            f" {m(c='join_month')} AS join_m, digital_user FROM {t['customers']} WHERE join_month <= {cut}"
            " ORDER BY customer_id"
        )
        holdings = q(
            f"SELECT customer_id, product, {m(c='open_month')} AS open_m, "
            f"CASE WHEN close_month <= {cut} THEN {m(c='close_month')} END AS close_m, amount "
            f"FROM {t['holdings']} WHERE open_month <= {cut}"
        )
        policies = q(
            f"SELECT customer_id, product, {m(c='start_month')} AS start_m, annual_premium "
            f"FROM {t['policies']} WHERE start_month <= {cut}"
        )
        transactions = q(
            f"SELECT customer_id, {m(c='month')} AS m, n_tx, amount, amount_travel, amount_health, "
            f"amount_home FROM {t['transactions']} WHERE month <= {cut}"
        )
        interactions = q(
            f"SELECT customer_id, {m(c='month')} AS m, kind FROM {t['interactions']} WHERE month <= {cut}"
        )
        promos = q(
            f"SELECT customer_id, {m(c='month')} AS m, campaign FROM {t['promos']} WHERE month <= {cut}"
        )
        mortality = q("SELECT age, sex, qx FROM mortality")
    return Sources(customers, holdings, policies, transactions, interactions, promos, mortality, upto)


def sources_from_tables(tables: dict[str, pd.DataFrame], upto: int) -> Sources:
    """Same as ``load_sources`` but from in-memory tables (tests, sample inputs)."""

    def mi(s: pd.Series) -> np.ndarray:
        values = s.to_numpy(dtype="datetime64[M]")
        return values.astype(np.int64) + 1970 * 12

    c = tables["customers"].assign(join_m=lambda d: mi(d["join_month"]))
    c = c[(c["join_m"] <= upto) & (c["birth_year"] >= 1900)].sort_values("customer_id")
    h = tables["holdings"].assign(open_m=lambda d: mi(d["open_month"]))
    close = h["close_month"].to_numpy(dtype="datetime64[M]")
    h["close_m"] = np.where(np.isnat(close), np.nan, close.astype(np.int64) + 1970 * 12)
    h.loc[h["close_m"] > upto, "close_m"] = np.nan
    p = tables["policies"].assign(start_m=lambda d: mi(d["start_month"]))
    t = tables["transactions"].assign(m=lambda d: mi(d["month"]))
    t = t[t["amount"] >= 0].drop_duplicates("tx_id")
    i = tables["interactions"].assign(m=lambda d: mi(d["month"]))
    pr = tables["promos"].assign(m=lambda d: mi(d["month"]))
    return Sources(
        customers=c.drop(columns="join_month").reset_index(drop=True),
        holdings=h[h["open_m"] <= upto],
        policies=p[p["start_m"] <= upto],
        transactions=t[t["m"] <= upto],
        interactions=i[i["m"] <= upto],
        promos=pr[pr["m"] <= upto],
        mortality=tables["mortality"],
        upto=upto,
    )


@dataclass
class _Panel:
    first: int
    ids: np.ndarray
    values: dict[str, np.ndarray]  # name -> (n_customers, n_months + 1) cumulative sums, column 0 = 0
    last_seen: dict[str, np.ndarray]  # name -> (n_customers, n_months) index of last month with activity

    def window(self, name: str, cutoff: int, months: int, rows: np.ndarray) -> np.ndarray:
        j = cutoff - self.first + 1
        lo = max(0, j - months)
        cs = self.values[name]
        return cs[rows, j] - cs[rows, lo]

    def recency(self, name: str, cutoff: int, rows: np.ndarray) -> np.ndarray:
        j = cutoff - self.first
        last = self.last_seen[name][rows, j]
        return np.where(last >= 0, np.minimum(j - last, NEVER), NEVER).astype(np.float32)


def _panel(src: Sources, first: int, last: int) -> _Panel:
    ids = src.customers["customer_id"].to_numpy(dtype=np.int64)
    n, n_m = len(ids), last - first + 1

    def dense(frame: pd.DataFrame, value: np.ndarray | None) -> np.ndarray:
        m = frame["m"].to_numpy(dtype=np.int64)
        cid = frame["customer_id"].to_numpy(dtype=np.int64)
        pos = np.searchsorted(ids, cid)
        ok = (m >= first) & (m <= last) & (pos < n)
        ok[ok] &= ids[pos[ok]] == cid[ok]
        # bincount on the flat (customer, month) index: a scatter-add many times faster than np.add.at
        flat = pos[ok] * n_m + (m[ok] - first)
        weights = None if value is None else value[ok]
        return np.bincount(flat, weights=weights, minlength=n * n_m).astype(np.float64).reshape(n, n_m)

    tx = src.transactions
    sources: dict[str, tuple[pd.DataFrame, str | None]] = {
        "n_tx": (tx, "n_tx"),
        "amount": (tx, "amount"),
        "amount_travel": (tx, "amount_travel"),
        "amount_health": (tx, "amount_health"),
        "amount_home": (tx, "amount_home"),
        "promos": (src.promos, None),
    }
    for kind in ("inquiry", "service", "complaint"):
        sources[kind] = (src.interactions[src.interactions["kind"] == kind], None)
    idx = np.arange(n_m)
    values: dict[str, np.ndarray] = {}
    last_seen: dict[str, np.ndarray] = {}
    # One metric at a time, keeping only its cumulative sums, so 1M customers fit in a few GB.
    for name, (frame, col) in sources.items():
        raw = dense(frame, None if col is None else frame[col].to_numpy(dtype=np.float64))
        if name in ("n_tx", "promos", "inquiry", "complaint"):
            last_seen[name] = np.maximum.accumulate(np.where(raw > 0, idx, -1), axis=1).astype(np.int16)
        if name == "n_tx":
            active = (raw > 0).astype(np.float32)
            values["active"] = np.concatenate(
                [np.zeros((n, 1), np.float32), np.cumsum(active, axis=1)], axis=1
            )
            del active
        values[name] = np.concatenate([np.zeros((n, 1)), np.cumsum(raw, axis=1)], axis=1)
        del raw
    return _Panel(first, ids, values, last_seen)


def build_features(
    src: Sources, cutoffs: list[int], rows_per_cutoff: dict[int, np.ndarray] | None = None
) -> pd.DataFrame:
    """One row per (customer known at c, cutoff c) with features from months <= c only.

    ``rows_per_cutoff`` optionally restricts each cutoff to given customer ids (sampling).
    """
    import pandas as pd

    if not cutoffs:
        raise InvalidInput("no cutoff months to build features for")
    if max(cutoffs) > src.upto:
        raise InvalidInput("a cutoff lies after the data's last month; features would not be point-in-time")
    first, last = min(cutoffs) - max(WINDOWS) + 1, max(cutoffs)
    panel = _panel(src, first, last)
    cust = src.customers
    ids = panel.ids
    qx_table = {(int(a), s): q for a, s, q in src.mortality[["age", "sex", "qx"]].itertuples(index=False)}
    parts = []
    for c in sorted(cutoffs):
        rows = np.flatnonzero(cust["join_m"].to_numpy() <= c)
        if rows_per_cutoff is not None and c in rows_per_cutoff:
            rows = rows[np.isin(ids[rows], rows_per_cutoff[c])]
        f: dict[str, np.ndarray] = {"customer_id": ids[rows], "cutoff": np.full(len(rows), c, dtype=np.int32)}
        sub = cust.iloc[rows]
        age = (c // 12 - sub["birth_year"].to_numpy()).astype(np.float32)
        f["age"] = age
        f["sex"] = sub["sex"].astype(str).to_numpy()
        f["income"] = sub["income"].to_numpy(dtype=np.float64).astype(np.float32)
        for col in ("region", "occupation", "marital_status"):
            f[col] = sub[col].astype(str).to_numpy()
        f["n_children"] = sub["n_children"].to_numpy(dtype=np.float32)
        f["digital_user"] = sub["digital_user"].to_numpy(dtype=np.float32)
        f["tenure_months"] = (c - sub["join_m"].to_numpy()).astype(np.float32)
        f["qx"] = np.array(
            [qx_table.get((int(min(max(a, 0), 110)), s), np.nan) for a, s in zip(age, f["sex"])],
            dtype=np.float32,
        )
        for w in WINDOWS:
            f[f"amount_{w}m"] = panel.window("amount", c, w, rows).astype(np.float32)
        for w in (1, 3, 12):
            f[f"n_tx_{w}m"] = panel.window("n_tx", c, w, rows).astype(np.float32)
            f[f"amount_home_{w}m"] = panel.window("amount_home", c, w, rows).astype(np.float32)
        for w in (3, 12):
            f[f"amount_travel_{w}m"] = panel.window("amount_travel", c, w, rows).astype(np.float32)
            f[f"amount_health_{w}m"] = panel.window("amount_health", c, w, rows).astype(np.float32)
        for w in (1, 3, 6, 12):
            f[f"inquiries_{w}m"] = panel.window("inquiry", c, w, rows).astype(np.float32)
            f[f"promos_{w}m"] = panel.window("promos", c, w, rows).astype(np.float32)
        for w in (6, 12, 18):
            f[f"complaints_{w}m"] = panel.window("complaint", c, w, rows).astype(np.float32)
        f["services_3m"] = panel.window("service", c, 3, rows).astype(np.float32)
        # recency / frequency / monetary
        f["months_since_tx"] = panel.recency("n_tx", c, rows)
        f["months_since_promo"] = panel.recency("promos", c, rows)
        f["months_since_inquiry"] = panel.recency("inquiry", c, rows)
        f["months_since_complaint"] = panel.recency("complaint", c, rows)
        active12 = panel.window("active", c, 12, rows)
        f["frequency_12m"] = active12.astype(np.float32)
        f["monetary_12m"] = (f["amount_12m"] / np.maximum(active12, 1)).astype(np.float32)
        f["spend_trend_3v12"] = ((f["amount_3m"] / 3) / np.maximum(f["amount_12m"] / 12, 1.0)).astype(
            np.float32
        )
        f.update(_holdings_at(src, c, ids, rows))
        parts.append(pd.DataFrame(f))
    frame = pd.concat(parts, ignore_index=True)
    for col in CATEGORICAL:
        frame[col] = frame[col].astype(str)
    return frame


def _holdings_at(src: Sources, c: int, ids: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    n = len(ids)
    out: dict[str, np.ndarray] = {}
    h = src.holdings
    pos = np.searchsorted(ids, h["customer_id"].to_numpy(dtype=np.int64))
    pos = np.minimum(pos, n - 1)
    known = ids[pos] == h["customer_id"].to_numpy()
    open_m = h["open_m"].to_numpy(dtype=np.float64)
    close_m = h["close_m"].to_numpy(dtype=np.float64)
    held = known & (open_m <= c) & (np.isnan(close_m) | (close_m > c))
    product = h["product"].astype(str).to_numpy()
    for name in ("credit_card", "auto_finance", "mortgage"):
        mask = held & (product == name)
        out[f"has_{name}"] = (np.bincount(pos[mask], minlength=n) > 0)[rows].astype(np.float32)
    latest_mortgage = np.full(n, -1e9)
    mask = held & (product == "mortgage")
    np.maximum.at(latest_mortgage, pos[mask], open_m[mask])
    out["months_since_mortgage"] = np.clip(c - latest_mortgage, 0, 120)[rows].astype(np.float32)
    amount = np.zeros(n)
    np.add.at(amount, pos[mask], np.nan_to_num(h["amount"].to_numpy(dtype=np.float64)[mask]))
    out["mortgage_amount"] = amount[rows].astype(np.float32)
    opened = known & (open_m <= c) & (open_m > c - 3)
    out["products_opened_3m"] = np.bincount(pos[opened], minlength=n)[rows].astype(np.float32)

    p = src.policies
    ppos = np.minimum(np.searchsorted(ids, p["customer_id"].to_numpy(dtype=np.int64)), n - 1)
    pknown = (ids[ppos] == p["customer_id"].to_numpy()) & (p["start_m"].to_numpy() <= c)
    out["n_policies"] = np.bincount(ppos[pknown], minlength=n)[rows].astype(np.float32)
    life = pknown & (p["product"].astype(str).to_numpy() == "life")
    out["has_life_policy"] = (np.bincount(ppos[life], minlength=n) > 0)[rows].astype(np.float32)
    latest = np.full(n, -1e9)
    np.maximum.at(latest, ppos[pknown], p["start_m"].to_numpy(dtype=np.float64)[pknown])
    out["months_since_policy"] = np.clip(c - latest, 0, 120)[rows].astype(np.float32)
    return out


def conversion_labels(src: Sources, frame: pd.DataFrame) -> np.ndarray:
    """1 where the customer started a policy in the month after the row's cutoff (needs src.upto > cutoff)."""
    p = src.policies
    bought = set(zip(p["customer_id"].to_numpy(dtype=np.int64), p["start_m"].to_numpy(dtype=np.int64)))
    keys = zip(frame["customer_id"].to_numpy(dtype=np.int64), frame["cutoff"].to_numpy(dtype=np.int64) + 1)
    return np.fromiter(((k in bought) for k in keys), dtype=np.int8, count=len(frame))


def feature_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("customer_id", "cutoff", "label", "premium_target")]


@dataclass
class FeaturePrep:
    """Fitted preprocessing: median imputation (+ missing flags), 1/99% caps, log1p, quantile bins, one-hot."""

    numeric: list[str]
    categorical: list[str]
    log_columns: list[str] = field(default_factory=list)
    bin_columns: list[str] = field(default_factory=list)
    medians: dict[str, float] = field(default_factory=dict)
    caps: dict[str, tuple[float, float]] = field(default_factory=dict)
    bins: dict[str, list[float]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    missing_flags: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    clip: bool = True  # cap numbers at the training rows' 1/99% quantiles

    @classmethod
    def for_frame(cls, frame: pd.DataFrame, columns: list[str], plain: bool = False) -> FeaturePrep:
        """``plain=True`` (generic mode): imputation and one-hot only, numbers as they are: no caps, logs
        or bins, so a linear model can extrapolate when later rows lie outside the training range."""
        import pandas as pd

        numeric = [
            c
            for c in columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
        boolean = [c for c in columns if pd.api.types.is_bool_dtype(frame[c])]
        categorical = [c for c in columns if c not in numeric and c not in boolean]
        logs = [
            c
            for c in numeric
            if c.startswith(LOG_COLUMNS_PREFIX)
            or (frame[c].min() >= 0 and frame[c].quantile(0.99) > 100 * max(frame[c].median(), 1e-9))
        ]
        bins = [c for c in ("age", "income") if c in numeric]
        if plain:
            return cls(numeric=numeric + boolean, categorical=categorical, clip=False)
        return cls(numeric=numeric + boolean, categorical=categorical, log_columns=logs, bin_columns=bins)

    def fit(self, frame: pd.DataFrame) -> FeaturePrep:
        for c in self.numeric:
            v = frame[c].to_numpy(dtype=np.float64)
            finite = v[np.isfinite(v)]
            self.medians[c] = float(np.median(finite)) if len(finite) else 0.0
            lo, hi = np.quantile(finite, [0.01, 0.99]) if len(finite) else (0.0, 0.0)
            self.caps[c] = (float(lo), float(hi))
            if not np.isfinite(v).all():
                self.missing_flags.append(c)
        for c in self.bin_columns:
            v = frame[c].to_numpy(dtype=np.float64)
            edges = (
                np.unique(np.nanquantile(v, [0.2, 0.4, 0.6, 0.8])) if np.isfinite(v).any() else np.array([])
            )
            self.bins[c] = [float(e) for e in edges]
        for c in self.categorical:
            counts = frame[c].astype(str).value_counts()
            self.categories[c] = [str(k) for k in counts.index[:30]]
        self.output_names = (
            list(self.numeric)
            + [f"{c}_missing" for c in self.missing_flags]
            + [f"{c}_bin" for c in self.bin_columns]
            + [f"{c}={v}" for c in self.categorical for v in self.categories[c]]
        )
        return self

    def sources(self) -> list[str]:
        """The input column each prepared feature comes from (same order as ``output_names``)."""
        return (
            list(self.numeric)
            + list(self.missing_flags)
            + list(self.bin_columns)
            + [c for c in self.categorical for _ in self.categories[c]]
        )

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        out = np.empty((n, len(self.output_names)), dtype=np.float32)
        k = 0
        for c in self.numeric:
            v = frame[c].to_numpy(dtype=np.float64).copy()
            v[~np.isfinite(v)] = self.medians[c]
            if self.clip:
                lo, hi = self.caps[c]
                v = np.clip(v, lo, hi)
            if c in self.log_columns:
                v = np.sign(v) * np.log1p(np.abs(v))
            out[:, k] = v
            k += 1
        for c in self.missing_flags:
            out[:, k] = ~np.isfinite(frame[c].to_numpy(dtype=np.float64))
            k += 1
        for c in self.bin_columns:
            v = frame[c].to_numpy(dtype=np.float64)
            out[:, k] = np.digitize(np.where(np.isfinite(v), v, self.medians[c]), self.bins[c])
            k += 1
        for c in self.categorical:
            s = frame[c].astype(str).to_numpy()
            for v in self.categories[c]:
                out[:, k] = s == v
                k += 1
        return out
