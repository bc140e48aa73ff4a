"""The monthly job's per-customer work, one shard of customers at a time (local or Ray, ``engines.py``).

0. ``partition_tables`` (driver, DuckDB): every per-customer table written once as Parquet partitioned by
   shard, so a shard task reads its own files (total work grows with the population, not with
   population x shards, and a cluster worker needs only its partition).
1. ``sample_ids`` (driver, SQL over the whole warehouse): which customers each training cutoff keeps.
   Fit cutoffs: every converter plus the ``max_negatives`` non-converters with the smallest sampling
   key; evaluation cutoffs: the ``max_rows`` eligible customers with the smallest key. The key is a
   hash of (customer id, seed, cutoff) (``shards.mix``), so the sample never depends on the shard
   count, the shard order or the engine.
2. ``shard_features`` (a task per shard): the shard's tables from DuckDB, point-in-time features of its
   sampled training rows (returned, with labels) and of all its customers at month M (written to a
   Parquet part for scoring).
3. ``shard_leads`` (a task per shard, after training): scores the part and writes a leads part.
4. ``merge_leads`` (driver, DuckDB): one leads file ranked by score, in bounded memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tabular.propensity.months import month_start
from tabular.propensity.shards import mix_sql, sample_salt, shard_sql

if TYPE_CHECKING:
    import pandas as pd

    from tabular.propensity.ingest import Warehouse
    from tabular.propensity.train import ModelBundle

log = logging.getLogger(__name__)
ID = "_id"  # numeric customer id kept in leads parts: the tie-break of equal scores


@dataclass(frozen=True)
class ShardPlan:
    """What every shard task needs: the warehouse, the month, the cutoffs and the sampled ids per cutoff."""

    warehouse: Path
    month: int
    n_shards: int
    fit_cutoffs: tuple[int, ...]
    eval_cutoffs: tuple[int, ...]
    samples: dict[int, np.ndarray]  # cutoff -> sampled customer ids (fit: the non-converters only)
    parts: Path  # folder for the shards' Parquet parts (tables by shard, month-M features, leads)


CUSTOMER_TABLES = ("customers", "holdings", "policies", "transactions", "interactions", "promos")


def partition_tables(warehouse: Warehouse, n_shards: int, folder: Path, memory_limit: str = "1GB") -> None:
    """Each per-customer table as ``folder/<table>/shard=<k>/*.parquet`` (one pass each, bounded memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    with warehouse.connect(read_only=True) as con:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{(folder / 'tmp').as_posix()}'")
        con.execute("SET preserve_insertion_order = false")
        for table in CUSTOMER_TABLES:
            con.execute(
                f"COPY (SELECT *, {shard_sql('customer_id', n_shards)} AS shard FROM {table}) "
                f"TO '{(folder / table).as_posix()}' (FORMAT PARQUET, PARTITION_BY (shard), OVERWRITE_OR_IGNORE)"
            )


def _shard_relations(plan: ShardPlan, shard: int) -> dict[str, str]:
    """FROM items reading one shard's partition (an empty result where the shard has no rows of a table)."""
    out = {}
    for table in CUSTOMER_TABLES:
        folder = plan.parts / "tables" / table / f"shard={shard}"
        out[table] = (
            f"read_parquet('{folder.as_posix()}/*.parquet', hive_partitioning = false)"
            if folder.is_dir()
            else f"(SELECT * FROM {table} LIMIT 0)"
        )
    return out


def sample_ids(
    warehouse: Warehouse,
    fit_cutoffs: list[int],
    eval_cutoffs: list[int],
    seed: int,
    max_negatives: int | None,
    max_rows: int | None,
) -> dict[int, np.ndarray]:
    """Sampled customer ids per cutoff (see the module docstring), chosen in SQL by the hashed key."""
    out: dict[int, np.ndarray] = {}
    with warehouse.connect(read_only=True) as con:
        for c in [*fit_cutoffs, *eval_cutoffs]:
            limit = max_negatives if c in fit_cutoffs else max_rows
            converters = (
                " AND customer_id NOT IN (SELECT customer_id FROM policies WHERE start_month = "
                f"DATE '{month_start(c + 1)}')"
                if c in fit_cutoffs
                else ""
            )
            sql = (
                f"SELECT customer_id FROM customers WHERE join_month <= DATE '{month_start(c)}'{converters} "
                f"ORDER BY {mix_sql('customer_id', sample_salt(seed, c))}, customer_id"
                + (f" LIMIT {int(limit)}" if limit else "")
            )
            out[c] = np.sort(con.execute(sql).fetchnumpy()["customer_id"].astype(np.int64))
    return out


def shard_features(plan: ShardPlan, shard: int) -> pd.DataFrame:
    """The shard's training rows (features, ``label``, ``premium_target``); its month-M rows go to a part."""
    import pandas as pd

    from tabular.propensity.features import build_features, conversion_labels, load_sources
    from tabular.propensity.ingest import Warehouse
    from tabular.propensity.premium import premium_targets

    src = load_sources(Warehouse(plan.warehouse), plan.month, _shard_relations(plan, shard))
    ids = src.customers["customer_id"].to_numpy(dtype=np.int64)
    join = src.customers["join_m"].to_numpy()
    p = src.policies
    rows: dict[int, np.ndarray] = {}
    for c in plan.fit_cutoffs:
        bought = p.loc[p["start_m"] == c + 1, "customer_id"].to_numpy(dtype=np.int64)
        eligible = ids[join <= c]
        keep = np.isin(eligible, bought) | np.isin(eligible, plan.samples[c])
        rows[c] = eligible[keep]
    for c in plan.eval_cutoffs:
        rows[c] = ids[(join <= c) & np.isin(ids, plan.samples[c])]
    cutoffs = [*plan.fit_cutoffs, *plan.eval_cutoffs, plan.month]
    frame = build_features(src, cutoffs, rows)
    is_now = frame["cutoff"].to_numpy() == plan.month
    current = frame[is_now].reset_index(drop=True)
    train = frame[~is_now].reset_index(drop=True)
    del frame
    (plan.parts / "features").mkdir(parents=True, exist_ok=True)
    current.to_parquet(plan.parts / "features" / f"shard-{shard:05d}.parquet", index=False)
    train["label"] = conversion_labels(src, train)
    target = np.full(len(train), np.nan)
    pos = train["label"].to_numpy() == 1
    if pos.any():
        target[pos] = premium_targets(p, train[pos])
    train["premium_target"] = target
    log.debug("shard %d: %d customers, %d training rows", shard, len(ids), len(train))
    return pd.DataFrame(train)


def shard_leads(
    plan: ShardPlan, shard: int, bundle: ModelBundle, reasons_deciles: int = 10, threads: int | None = None
) -> int:
    """Score the shard's month-M part; write its leads part (unranked); return the number of leads.
    Reasons for deciles 1..``reasons_deciles`` only; ``threads``: LightGBM's threads for them."""
    import pandas as pd

    from tabular.propensity.finish import score_frame

    current = pd.read_parquet(plan.parts / "features" / f"shard-{shard:05d}.parquet")
    if not len(current):
        return 0
    leads = score_frame(bundle, current, reasons_deciles=reasons_deciles, threads=threads).drop(columns="rank")
    leads.insert(0, ID, leads["customer_id"].astype(np.int64))
    (plan.parts / "leads").mkdir(parents=True, exist_ok=True)
    leads.to_parquet(plan.parts / "leads" / f"shard-{shard:05d}.parquet", index=False)
    return len(leads)


def merge_leads(parts: Path, out: Path, lead_month: str | None, memory_limit: str = "1GB") -> pd.DataFrame:
    """One leads file (CSV or Parquet by ``out``'s suffix) ranked by score (ties: lower id first), merged
    by DuckDB within ``memory_limit`` (spilling to disk); returns (customer_id, score) in rank order."""
    import duckdb

    files = f"'{(parts / 'leads').as_posix()}/*.parquet'"
    month = f"'{lead_month}' AS lead_month, " if lead_month else ""
    fmt = "(FORMAT PARQUET)" if out.suffix == ".parquet" else "(HEADER, DELIMITER ',')"
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{(parts / 'tmp').as_posix()}'")
        con.execute(
            f"COPY (SELECT customer_id, {month}row_number() OVER (ORDER BY score DESC, {ID}) AS rank, "
            f"* EXCLUDE (customer_id, {ID}) FROM read_parquet({files}) ORDER BY rank) TO '{out.as_posix()}' {fmt}"
        )
        return con.execute(
            f"SELECT customer_id, score FROM read_parquet({files}) ORDER BY score DESC, {ID}"
        ).df()
    finally:
        con.close()
