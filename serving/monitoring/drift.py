"""Drift of a live window against a reference: PSI, Kolmogorov–Smirnov and chi-square per feature, MMD for embeddings.

>>> import numpy as np; rng = np.random.default_rng(0)
>>> population_stability_index(rng.normal(0, 1, 2000), rng.normal(1, 1, 2000)) > 0.2
True
"""
from __future__ import annotations

import math

import numpy as np

from serving.monitoring.schemas import (
    DriftReport,
    DriftThresholds,
    EmbeddingDrift,
    FeatureDrift,
    FeatureStats,
    ReferenceProfile,
    WindowProfile,
)
from serving.monitoring.sketch import CategoryCounts

_EPS = 1e-4  # floor for empty bins, so PSI stays finite when a bin empties out


def _psi_from_shares(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(expected, _EPS)
    a = np.maximum(actual, _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI over the reference's quantile bins (deciles by default); ties collapse bins, as they should."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.size == 0 or cur.size == 0:
        raise ValueError("PSI needs two non-empty samples")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_idx = np.searchsorted(edges, ref, side="right")
    cur_idx = np.searchsorted(edges, cur, side="right")
    n_bins = edges.size + 1
    expected = np.bincount(ref_idx, minlength=n_bins) / ref.size
    actual = np.bincount(cur_idx, minlength=n_bins) / cur.size
    return _psi_from_shares(expected, actual)


def categorical_psi(reference: dict[str, int], current: dict[str, int]) -> float:
    keys = sorted(set(reference) | set(current))
    r = np.array([reference.get(k, 0) for k in keys], dtype=np.float64)
    c = np.array([current.get(k, 0) for k in keys], dtype=np.float64)
    return _psi_from_shares(r / max(r.sum(), 1), c / max(c.sum(), 1))


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov (scipy): (statistic, p-value)."""
    from scipy.stats import ks_2samp

    result = ks_2samp(reference, current)
    return float(result.statistic), float(result.pvalue)


def chi_square_test(reference: dict[str, int], current: dict[str, int]) -> tuple[float, float, float]:
    """Chi-square test of homogeneity on category counts: (statistic, p-value, Cramér's V)."""
    from scipy.stats import chi2_contingency

    keys = sorted(k for k in set(reference) | set(current) if reference.get(k, 0) + current.get(k, 0) > 0)
    if len(keys) < 2:
        return 0.0, 1.0, 0.0
    table = np.array([[reference.get(k, 0) for k in keys], [current.get(k, 0) for k in keys]], dtype=np.float64)
    stat, p_value, _, _ = chi2_contingency(table, correction=False)
    v = math.sqrt(stat / (table.sum() * (min(table.shape) - 1)))
    return float(stat), float(p_value), float(v)



def mmd_permutation_test(x: np.ndarray, y: np.ndarray, n_permutations: int = 200,
                         seed: int = 0) -> tuple[float, float]:
    """Squared maximum mean discrepancy with an RBF kernel (median-distance bandwidth), and its permutation p-value.

    Written in numpy: the kernel matrix of the pooled sample is computed once and each permutation
    only re-indexes it, so 200 permutations of 500 + 500 points take well under a second.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"MMD needs two 2-D samples of the same width, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("MMD needs at least two points per sample")
    pooled = np.vstack([x, y])
    sq = np.sum(pooled ** 2, 1)[:, None] + np.sum(pooled ** 2, 1)[None, :] - 2.0 * pooled @ pooled.T
    median = np.median(sq[np.triu_indices(len(pooled), 1)])
    kernel = np.exp(-np.maximum(sq, 0.0) / max(median, 1e-12))
    n = len(x)

    def statistic(idx: np.ndarray) -> float:
        a, b = idx[:n], idx[n:]
        kxx = kernel[np.ix_(a, a)]
        kyy = kernel[np.ix_(b, b)]
        kxy = kernel[np.ix_(a, b)]
        m1, m2 = len(a), len(b)
        # unbiased estimate: drop the diagonal of the within-sample blocks
        return float((kxx.sum() - np.trace(kxx)) / (m1 * (m1 - 1)) + (kyy.sum() - np.trace(kyy)) / (m2 * (m2 - 1))
                     - 2.0 * kxy.mean())

    observed = statistic(np.arange(len(pooled)))
    rng = np.random.default_rng(seed)
    exceed = sum(statistic(rng.permutation(len(pooled))) >= observed for _ in range(n_permutations))
    return observed, (exceed + 1) / (n_permutations + 1)


def domain_classifier_auc(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Cross-validated ROC-AUC of a classifier telling reference (x) from current (y): 0.5 = no drift."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    data = np.vstack([x, y])
    labels = np.r_[np.zeros(len(x)), np.ones(len(y))]
    model = LogisticRegression(max_iter=1000, random_state=seed)
    return float(cross_val_score(model, data, labels, cv=5, scoring="roc_auc").mean())


def feature_drift(name: str, reference: FeatureStats, current: FeatureStats,
                  thresholds: DriftThresholds) -> FeatureDrift:
    n_ref, n_cur = reference.count, current.count
    if reference.type != current.type:
        return FeatureDrift(feature=name, type=reference.type, test="none", n_reference=n_ref, n_current=n_cur,
                            drifted=True, note=f"type changed from {reference.type} to {current.type}")
    if min(n_ref, n_cur) < thresholds.min_count:
        return FeatureDrift(feature=name, type=reference.type, test="none", n_reference=n_ref, n_current=n_cur,
                            drifted=False, note=f"fewer than {thresholds.min_count} values")
    if reference.type == "numeric":
        ref_sample = reference.numeric.sample()  # type: ignore[union-attr]
        cur_sample = current.numeric.sample()  # type: ignore[union-attr]
        psi = population_stability_index(ref_sample, cur_sample)
        stat, p_value = ks_test(ref_sample, cur_sample)
        test = "ks"
    else:
        ref_counts = (reference.categorical or CategoryCounts()).counts
        cur_counts = (current.categorical or CategoryCounts()).counts
        psi = categorical_psi(ref_counts, cur_counts)
        _, p_value, stat = chi_square_test(ref_counts, cur_counts)  # the effect size is Cramér's V
        test = "chi2"
    # Significance guards against the noise of PSI on small windows (its null expectation is about
    # (bins - 1) * (1/n_ref + 1/n_cur), 0.1 for 120 items); an effect size guards against the
    # significance of trivial shifts on big windows. Drift needs both.
    significant = p_value < thresholds.p_value
    large = psi >= thresholds.psi or stat >= thresholds.min_effect
    drifted = significant and large
    note = (f"p < {thresholds.p_value:g}" if significant else "not significant") + (
        "; " + ("PSI" if psi >= thresholds.psi else "effect") + " above threshold" if large else "; small effect")
    return FeatureDrift(feature=name, type=reference.type, test=test, statistic=round(stat, 6),  # type: ignore[arg-type]
                        p_value=float(f"{p_value:.6g}"), psi=round(psi, 6), n_reference=n_ref, n_current=n_cur,
                        drifted=drifted, note=note.strip())


def drift_report(reference: ReferenceProfile, window: WindowProfile,
                 thresholds: DriftThresholds | None = None) -> DriftReport:
    """Every feature the reference knows, compared with the window; embeddings by MMD when both have them."""
    thresholds = thresholds or DriftThresholds()
    features = [feature_drift(name, ref, window.features[name], thresholds)
                for name, ref in sorted(reference.features.items()) if name in window.features]
    embeddings = None
    if reference.embeddings and window.embeddings and len(window.embeddings) >= thresholds.min_count \
            and reference.embedding_dim == window.embedding_dim:
        mmd2, p_value = mmd_permutation_test(np.asarray(reference.embeddings), np.asarray(window.embeddings),
                                             thresholds.mmd_permutations)
        embeddings = EmbeddingDrift(mmd2=round(mmd2, 6), p_value=round(p_value, 6),
                                    n_reference=len(reference.embeddings), n_current=len(window.embeddings),
                                    drifted=p_value < thresholds.mmd_p_value)
    drifted = [f.feature for f in features if f.drifted]
    return DriftReport(task=window.task, version=window.version, window_start=window.start,
                       length_s=window.length_s, features=features, embeddings=embeddings, drifted_features=drifted,
                       drifted=bool(drifted) or bool(embeddings and embeddings.drifted))
