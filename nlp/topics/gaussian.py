"""A full-covariance Gaussian per topic on a PCA projection of the embeddings: the shape-aware view.

The von Mises-Fisher term of the topic mixture scores a document by its cosine to the topic
centroid, as if every topic were a round cap of the same spread. News topics are not round:
"business" stretches towards "technology" along a few directions and is tight along others. A
Gaussian with its own covariance per topic, on the top principal components, captures that; on
AG News it lifted NMI from 0.643 to 0.653 (see README).

Statistics are kept as soft sums (weight, sum, sum of outer products) so that merging two topics is
exact, like the rest of ``TopicState``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Projection:
    """Centre and orthonormal basis (``d x D``) of the top principal components of the fit embeddings."""

    center: np.ndarray
    basis: np.ndarray

    @classmethod
    def fit(cls, embeddings: np.ndarray, dims: int) -> Projection:
        center = embeddings.mean(0)
        dims = max(1, min(dims, embeddings.shape[1], len(embeddings) - 1))
        _, _, vt = np.linalg.svd((embeddings - center).astype(np.float64), full_matrices=False)
        return cls(center.astype(np.float32), vt[:dims].astype(np.float32))

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        return ((embeddings - self.center) @ self.basis.T).astype(np.float64)


@dataclass(frozen=True)
class GaussianStats:
    """Per-topic soft sufficient statistics in the projected space, and the projection itself."""

    projection: Projection
    weights: np.ndarray   # k
    sums: np.ndarray      # k x d
    squares: np.ndarray   # k x d x d
    reg: float = 1e-3     # added to each covariance's diagonal: keeps small topics well-conditioned

    @classmethod
    def from_responsibilities(cls, projection: Projection, projected: np.ndarray, resp: np.ndarray,
                              reg: float = 1e-3) -> GaussianStats:
        weights = resp.sum(0)
        sums = resp.T @ projected
        squares = np.einsum("nk,ni,nj->kij", resp, projected, projected, optimize=True)
        return cls(projection, weights, sums, squares, reg)

    def merged(self, keep: int, drop: int) -> GaussianStats:
        weights, sums, squares = self.weights.copy(), self.sums.copy(), self.squares.copy()
        weights[keep] += weights[drop]
        sums[keep] += sums[drop]
        squares[keep] += squares[drop]
        return GaussianStats(self.projection, np.delete(weights, drop), np.delete(sums, drop, 0),
                             np.delete(squares, drop, 0), self.reg)

    def log_density(self, projected: np.ndarray) -> np.ndarray:
        """``n x k`` log N(x | mean_k, cov_k + reg I) of already projected points."""
        n, d = projected.shape
        out = np.empty((n, len(self.weights)))
        for topic, (weight, total, square) in enumerate(zip(self.weights, self.sums, self.squares)):
            weight = max(float(weight), 1e-9)
            mean = total / weight
            cov = square / weight - np.outer(mean, mean)
            # eigh rather than Cholesky: a tiny or collapsed topic gives a covariance that is only
            # positive semi-definite up to rounding; its eigenvalues are floored at ``reg``.
            values, vectors = np.linalg.eigh((cov + cov.T) / 2)
            values = np.maximum(values, 0.0) + self.reg
            z = ((projected - mean) @ vectors) / np.sqrt(values)
            out[:, topic] = -0.5 * ((z * z).sum(1) + d * LOG_2PI + np.log(values).sum())
        return out
