"""Saving and loading fitted topics as a small folder: ``topics.npz`` (arrays) + ``topics.json`` (the rest)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import WeightsUnavailable
from nlp.topics.ctfidf import Vocabulary
from nlp.topics.fit import TopicState

ARRAYS_FILE = "topics.npz"
META_FILE = "topics.json"


def save_state(folder: Path, state: TopicState, meta: dict[str, Any]) -> Path:
    """Write the state; term counts are stored sparse-compressed (most topic x term cells are 0)."""
    from scipy import sparse

    folder.mkdir(parents=True, exist_ok=True)
    counts = sparse.csr_matrix(state.term_counts)
    np.savez_compressed(folder / ARRAYS_FILE, embedding_sums=state.embedding_sums.astype(np.float32),
                        counts_data=counts.data.astype(np.float32), counts_indices=counts.indices,
                        counts_indptr=counts.indptr, counts_shape=np.array(counts.shape),
                        doc_freq=state.vocabulary.doc_freq.astype(np.float32))
    payload = {**meta, "terms": state.vocabulary.terms, "n_docs": state.vocabulary.n_docs,
               "text_weight": state.text_weight, "kappa": state.kappa, "smoothing": state.smoothing, "sizes": state.sizes, "representatives": state.representatives}
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
        state = TopicState(arrays["embedding_sums"].astype(np.float32), counts, vocab, float(meta.pop("text_weight")),
                           [int(s) for s in meta.pop("sizes")], [list(r) for r in meta.pop("representatives")],
                           float(meta.pop("kappa", 10.0)), float(meta.pop("smoothing", 1.0)))
    return state, meta
