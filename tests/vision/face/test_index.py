"""The in-memory index returns exactly the brute-force nearest persons."""
from __future__ import annotations

import numpy as np
import pytest

from vision.face.index import FaceIndex


def _brute(ids: list[str], vectors: np.ndarray, q: np.ndarray, k: int) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for person, v in zip(ids, vectors):
        d = float(np.linalg.norm(v - q))
        best[person] = min(d, best.get(person, np.inf))
    return sorted(best.items(), key=lambda item: item[1])[:k]


def test_search_matches_brute_force_with_several_rows_per_person() -> None:
    rng = np.random.default_rng(0)
    ids = [f"p{rng.integers(0, 60)}" for _ in range(400)]
    vectors = rng.normal(size=(400, 16)).astype(np.float32)
    index = FaceIndex.build(ids, vectors)
    for _ in range(20):
        q = rng.normal(size=16).astype(np.float32)
        got = index.search(q, k=7)
        want = _brute(ids, vectors, q, 7)
        assert [p for p, _ in got] == [p for p, _ in want]
        np.testing.assert_allclose([d for _, d in got], [d for _, d in want], rtol=1e-4, atol=1e-4)


def test_empty_index_and_distance_to() -> None:
    assert FaceIndex.empty(8).search(np.zeros(8, np.float32)) == []
    index = FaceIndex.build(["a", "b", "a"], np.array([[0, 0], [3, 4], [1, 0]], np.float32))
    assert index.distance_to(np.array([0, 0], np.float32), "b") == 5.0
    assert index.distance_to(np.array([2, 0], np.float32), "a") == 1.0
    assert index.distance_to(np.array([2, 0], np.float32), "zz") is None
    assert index.n_persons == 2 and len(index) == 3


def test_a_worse_reference_than_the_persons_best_counts_less() -> None:
    vectors = np.array([[0.0, 0.0], [3.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    query = np.array([0.48, 0.0], np.float32)
    ids = ["low", "low", "good"]
    plain = FaceIndex.build(ids, vectors)
    assert plain.search(query, k=1)[0] == ("low", pytest.approx(0.48))
    # "low" has a good reference far away and a poor one (weight 0.5) close by: the poor one must be
    # 0.2 * (1 - 0.5) = 0.1 closer, so "good" (0.52) now ranks first
    weighted = FaceIndex.build(ids, vectors, np.array([0.5, 1.0, 1.0]), quality_penalty=0.2)
    assert [(p, round(d, 3)) for p, d in weighted.search(query, k=2)] == [("good", 0.52), ("low", 0.58)]
    assert weighted.distance_to(query, "low") == pytest.approx(0.58)
    # a person enrolled only from poor photos is not pushed away: no better reference to prefer
    alone = FaceIndex.build(["low", "good"], vectors[[0, 2]], np.array([0.5, 1.0]), quality_penalty=0.2)
    assert alone.penalties is None and alone.search(query, k=1)[0] == ("low", pytest.approx(0.48))
