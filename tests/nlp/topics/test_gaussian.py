"""The per-topic Gaussian view (fit step 5): exact densities, exact merging, save/load, degenerate topics."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from nlp.topics.fit import FitOptions, fit_state
from nlp.topics.gaussian import GaussianStats, Projection
from nlp.topics.store import load_state, save_state
from nlp.topics.synth import themed_corpus


def _points(n: int = 200, dims: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, dims)) * np.linspace(0.2, 2.0, dims)).astype(np.float32)


def _stats(points: np.ndarray, k: int = 3, dims: int = 5) -> tuple[GaussianStats, np.ndarray, np.ndarray]:
    projection = Projection.fit(points, dims)
    projected = projection(points)
    resp = np.random.default_rng(1).dirichlet(np.ones(k), size=len(points))
    return GaussianStats.from_responsibilities(projection, projected, resp), projected, resp


def test_log_density_is_the_weighted_gaussian() -> None:
    stats, projected, resp = _stats(_points())
    got = stats.log_density(projected)
    for topic in range(3):
        w = resp[:, topic]
        mean = w @ projected / w.sum()
        cov = ((projected - mean) * w[:, None]).T @ (projected - mean) / w.sum() + stats.reg * np.eye(5)
        assert np.allclose(got[:, topic], multivariate_normal(mean, cov).logpdf(projected), atol=1e-6)


def test_merging_two_topics_equals_fitting_their_union() -> None:
    stats, projected, resp = _stats(_points())
    union = np.column_stack([resp[:, 0] + resp[:, 2], resp[:, 1]])
    direct = GaussianStats.from_responsibilities(stats.projection, projected, union)
    assert np.allclose(stats.merged(0, 2).log_density(projected), direct.log_density(projected))


def test_an_empty_topic_still_has_finite_densities() -> None:
    stats, projected, resp = _stats(_points())
    resp[:, 1] = 0.0
    empty = GaussianStats.from_responsibilities(stats.projection, projected, resp)
    assert np.isfinite(empty.log_density(projected)).all()


@pytest.fixture(scope="module")
def fitted():
    texts, _ = themed_corpus(30)
    emb = np.random.default_rng(0).normal(size=(len(texts), 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    state, topics = fit_state(texts, emb, 3, FitOptions(text_weight=0.8, gauss_dims=8))
    return texts, emb, state, topics


def test_fit_keeps_gaussians_in_topic_order_and_they_survive_save_load(fitted, tmp_path: Path) -> None:
    texts, emb, state, topics = fitted
    assert state.gaussian is not None and state.gauss_weight == pytest.approx(FitOptions().gauss_weight)
    assert np.allclose(state.gaussian.weights.round(), state.sizes, atol=2)  # soft weights ~ hard sizes
    counts = state.vocabulary.counts(texts)
    save_state(tmp_path / "m", state, {"version": "g"})
    loaded, _ = load_state(tmp_path / "m")
    assert loaded.gaussian is not None
    assert np.allclose(loaded.log_posterior(emb, counts), state.log_posterior(emb, counts), atol=1e-4)
    assert (state.log_posterior(emb, counts).argmax(1) == topics).all()


def test_reduce_merges_the_gaussians_too(fitted) -> None:
    _, _, state, _ = fitted
    two = state.reduced(2)
    assert two.gaussian is not None and len(two.gaussian.weights) == 2
    assert two.gaussian.weights.sum() == pytest.approx(state.gaussian.weights.sum())


def test_small_corpora_skip_the_gaussian_step() -> None:
    texts, _ = themed_corpus(10)
    emb = np.random.default_rng(0).normal(size=(len(texts), 384)).astype(np.float32)
    state, _ = fit_state(texts, emb, 3, FitOptions(text_weight=0.8))
    assert state.gaussian is None and state.gauss_weight == 0.0
