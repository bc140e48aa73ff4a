"""Saving and loading fitted topics as a small folder: ``topics.npz`` (arrays) + ``topics.json`` (the rest)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import WeightsUnavailable
from nlp.topics.ctfidf import Vocabulary
from nlp.topics.fit import TopicState
from nlp.topics.gaussian import GaussianStats, Projection

ARRAYS_FILE = "topics.npz"
META_FILE = "topics.json"


def save_state(folder: Path, state: TopicState, meta: dict[str, Any]) -> Path:
    """Write the state; term counts are stored sparse-compressed (most topic x term cells are 0)."""
    from scipy import sparse

    folder.mkdir(parents=True, exist_ok=True)
    counts = sparse.csr_matrix(state.term_counts)
    gaussian = {}
    if state.gaussian is not None:
        g = state.gaussian
        gaussian = {"gauss_center": g.projection.center, "gauss_basis": g.projection.basis,
                    "gauss_weights": g.weights, "gauss_sums": g.sums, "gauss_squares": g.squares}
    np.savez_compressed(folder / ARRAYS_FILE, embedding_sums=state.embedding_sums.astype(np.float32),
                        counts_data=counts.data.astype(np.float32), counts_indices=counts.indices,
                        counts_indptr=counts.indptr, counts_shape=np.array(counts.shape),
                        doc_freq=state.vocabulary.doc_freq.astype(np.float32), **gaussian)
    payload = {**meta, "terms": state.vocabulary.terms, "n_docs": state.vocabulary.n_docs,
               "text_weight": state.text_weight, "kappa": state.kappa, "smoothing": state.smoothing,
               "gauss_weight": state.gauss_weight,
               "gauss_reg": state.gaussian.reg if state.gaussian is not None else None,
               "sizes": state.sizes, "representatives": state.representatives}
    (folder / META_FILE).write_text(json.dumps(payload, ensure_ascii=False))
    return folder


def load_state(folder: Path) -> tuple[TopicState, dict[str, Any]]:
    """Read a folder written by ``save_state``; the extra metadata (version, fit info) comes back as a dict."""
    from scipy import sparse

    if not (folder / ARRAYS_FILE).is_file() or not (folder / META_FILE).is_file():
        raise WeightsUnavailable(f"{folder} is not a topic model folder (needs {ARRAYS_FILE} and {META_FILE}); "
                                 "fit one with `ais topics fit` or rebuild the default with `ais topics build-default`",
                                 path=str(folder))
    meta = json.loads((folder / META_FILE).read_text())
    with np.load(folder / ARRAYS_FILE) as arrays:
        shape = tuple(int(x) for x in arrays["counts_shape"])
        counts = sparse.csr_matrix((arrays["counts_data"], arrays["counts_indices"], arrays["counts_indptr"]),
                                   shape=shape).toarray().astype(np.float32)
        vocab = Vocabulary(list(meta.pop("terms")), arrays["doc_freq"].astype(np.float32), int(meta.pop("n_docs")))
        gaussian = None
        reg = meta.pop("gauss_reg", None)
        if "gauss_basis" in arrays.files:  # absent in models fitted before step 5 existed: they still load
            gaussian = GaussianStats(Projection(arrays["gauss_center"], arrays["gauss_basis"]),
                                     arrays["gauss_weights"], arrays["gauss_sums"], arrays["gauss_squares"],
                                     float(reg if reg is not None else 1e-3))
        state = TopicState(arrays["embedding_sums"].astype(np.float32), counts, vocab, float(meta.pop("text_weight")),
                           [int(s) for s in meta.pop("sizes")], [list(r) for r in meta.pop("representatives")],
                           float(meta.pop("kappa", 10.0)), float(meta.pop("smoothing", 1.0)),
                           gaussian, float(meta.pop("gauss_weight", 0.0)) if gaussian is not None else 0.0)
    return state, meta
