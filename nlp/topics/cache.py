"""An on-disk cache of corpus embeddings, so repeated fits/evaluations of one corpus embed it only once.

The cache is keyed by a digest of the exact (cleaned) texts, the encoder and its window; a stale file is ignored.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.encoders import DEFAULT_ENCODER

log = logging.getLogger(__name__)


def corpus_digest(texts: Sequence[str], max_length: int, max_chunks: int | None = None,
                  encoder: str = DEFAULT_ENCODER) -> str:
    """Digest of the texts, the encoder and its window (and the cap on windows per text, when one applies)."""
    longest = max((len(t) for t in texts), default=0)
    capped = f"{max_chunks}|" if max_chunks and longest > max_chunks * max_length else ""  # chars >= tokens
    digest = hashlib.sha256(f"{encoder}|{max_length}|{capped}".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()


def read_cache(path: Path, texts: Sequence[str], max_length: int, max_chunks: int | None = None,
               encoder: str = DEFAULT_ENCODER) -> np.ndarray | None:
    """Cached embeddings of exactly ``texts`` by ``encoder``, or None when absent or made for other texts."""
    if not path.is_file():
        return None
    with np.load(path) as data:
        if str(data["digest"]) != corpus_digest(texts, max_length, max_chunks, encoder):
            log.info("embedding cache %s is for other texts or another encoder; recomputing", path)
            return None
        return data["embeddings"].astype(np.float32)


def write_cache(path: Path, texts: Sequence[str], max_length: int, embeddings: np.ndarray,
                max_chunks: int | None = None, encoder: str = DEFAULT_ENCODER) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = corpus_digest(texts, max_length, max_chunks, encoder)
    np.savez(path, embeddings=embeddings.astype(np.float32), digest=np.array(digest))
