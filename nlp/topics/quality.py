"""Topic quality: NPMI coherence, topic diversity, and agreement with known labels (NMI, ARI)."""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
from scipy import sparse


def npmi_coherence(top_words: Sequence[Sequence[int]], doc_term: sparse.csr_matrix) -> list[float]:
    """Mean NPMI over word pairs of each topic, from document co-occurrence in ``doc_term`` (term ids).

    NPMI(a, b) = log(p(a,b) / (p(a) p(b))) / -log p(a,b), in [-1, 1]; pairs that never co-occur count -1.
    """
    binary = (doc_term > 0).astype(np.float32).tocsc()
    n_docs = binary.shape[0]
    scores = []
    for words in top_words:
        cols = binary[:, list(words)]
        joint = np.asarray((cols.T @ cols).todense()) / n_docs
        single = np.diag(joint)
        values = []
        for i, j in combinations(range(len(words)), 2):
            p_ij = joint[i, j]
            if p_ij <= 0 or single[i] <= 0 or single[j] <= 0:
                values.append(-1.0)
            elif p_ij >= 1.0:
                values.append(1.0)
            else:
                values.append(float(np.log(p_ij / (single[i] * single[j])) / -np.log(p_ij)))
        scores.append(float(np.mean(values)) if values else 0.0)
    return scores


def topic_diversity(top_words: Sequence[Sequence[int]]) -> float:
    """Share of unique words among all topics' top words (1 = no topic repeats another's words)."""
    flat = [w for words in top_words for w in words]
    return len(set(flat)) / max(len(flat), 1)


def label_agreement(labels_true: Sequence[str], topics: Sequence[int]) -> dict[str, float]:
    """NMI and ARI between known categories and found topics (label names need not match)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {"nmi": float(normalized_mutual_info_score(labels_true, topics)),
            "ari": float(adjusted_rand_score(labels_true, topics))}
