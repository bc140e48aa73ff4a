"""Customers split into shards by a stable hash of their id, computed the same way in numpy and in DuckDB SQL.

The hash is plain integer arithmetic modulo the prime 2**31 - 1 (every product stays below 2**62, so
BIGINT never overflows), with a squaring step so that consecutive ids scatter. It depends on nothing
but the id (and a salt), so a customer lands in the same shard on every run, engine and machine, and
the same salt gives the same sampling key wherever the customer is processed.

>>> import numpy as np
>>> shard_of(np.array([1, 2, 3]), 4).tolist() == shard_of(np.array([1, 2, 3]), 4).tolist()
True
"""

from __future__ import annotations

import math

import numpy as np

PRIME = 2_147_483_647  # 2**31 - 1
CUSTOMERS_PER_SHARD = 100_000  # default shard size: a shard's panel is a few hundred MB


def mix(ids: np.ndarray, salt: int = 0) -> np.ndarray:
    """A pseudo-random value in [0, 2**31 - 1) per non-negative integer id."""
    x = (np.asarray(ids, dtype=np.int64) % PRIME + salt % PRIME) % PRIME
    x = (x * 48_271 + 11) % PRIME
    x = (x * x + 12_345) % PRIME
    return (x * 69_621 + 7) % PRIME


def mix_sql(column: str, salt: int = 0) -> str:
    """``mix`` as a DuckDB expression over an integer column."""
    x = f"((CAST({column} AS BIGINT) % {PRIME} + {salt % PRIME}) % {PRIME})"
    x = f"(({x} * 48271 + 11) % {PRIME})"
    x = f"(({x} * {x} + 12345) % {PRIME})"
    return f"(({x} * 69621 + 7) % {PRIME})"


def shard_of(ids: np.ndarray, n_shards: int) -> np.ndarray:
    """The shard (0..n_shards-1) of each customer id."""
    return mix(ids) % n_shards


def shard_sql(column: str, n_shards: int) -> str:
    return f"({mix_sql(column)} % {n_shards})"


def sample_salt(seed: int, cutoff: int) -> int:
    """Salt of the sampling key of (seed, cutoff month): a customer's draw depends on nothing else."""
    return (seed * 1_000_003 + cutoff * 7_919 + 1) % PRIME


def default_shards(customers: int, per_shard: int = CUSTOMERS_PER_SHARD) -> int:
    """Enough shards that each holds about ``per_shard`` customers (1 for a small population)."""
    return max(1, math.ceil(customers / per_shard))
