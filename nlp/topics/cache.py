"""An on-disk cache of corpus embeddings, so repeated fits/evaluations of one corpus embed it only once.

The cache is keyed by a digest of the exact (cleaned) texts and the encoder window; a stale file is ignored.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def corpus_digest(texts: Sequence[str], max_length: int, max_chunks: int | None = None) -> str:
    """Digest of the texts and the encoder window (and the cap on windows per text, when one applies)."""
    longest = max((len(t) for t in texts), default=0)
    capped = f"{max_chunks}|" if max_chunks and longest > max_chunks * max_length else ""  # chars >= tokens
    digest = hashlib.sha256(f"all-MiniLM-L6-v2|{max_length}|{capped}".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()


def read_cache(path: Path, texts: Sequence[str], max_length: int, max_chunks: int | None = None) -> np.ndarray | None:
    """Cached embeddings of exactly ``texts``, or None when absent or made for other texts."""
    if not path.is_file():
        return None
    with np.load(path) as data:
        if str(data["digest"]) != corpus_digest(texts, max_length, max_chunks):
            log.info("embedding cache %s is for other texts; recomputing", path)
            return None
        return data["embeddings"].astype(np.float32)


def write_cache(path: Path, texts: Sequence[str], max_length: int, embeddings: np.ndarray,
                max_chunks: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, embeddings=embeddings.astype(np.float32), digest=np.array(corpus_digest(texts, max_length, max_chunks)))
