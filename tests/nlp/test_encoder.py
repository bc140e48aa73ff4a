"""The shared encoder: chunking instead of truncation, length-sorted batches, pooling."""
from __future__ import annotations

import pytest

from nlp.encoder import (
    DEFAULT_MAX_LENGTH,
    SentenceEncoder,
    average_by_owner,
    chunk_ids,
    encoder_path,
    mean_pool,
    windows,
)


def test_windows_cover_every_token() -> None:
    ids = list(range(10, 310))
    parts = windows(ids, max_length=64, cls=1, sep=2)
    assert len(parts) == 5 and all(len(p) <= 64 for p in parts)
    assert [t for p in parts for t in p[1:-1]] == ids
    assert windows([], max_length=64, cls=1, sep=2) == [[1, 2]]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)


@pytest.mark.slow
def test_long_text_is_chunked_not_truncated(tokenizer) -> None:
    chunks = chunk_ids(tokenizer, ["good " * 300, "fine"], max_length=64)
    assert len(chunks[0]) == 5  # 300 tokens in windows of 62
    assert sum(len(c) - 2 for c in chunks[0]) == 300
    assert all(c[0] == tokenizer.cls_token_id and c[-1] == tokenizer.sep_token_id for c in chunks[0])
    assert len(chunks[1]) == 1
    assert max(len(c) for c in chunks[0]) <= 64


def test_too_small_window_is_refused() -> None:
    with pytest.raises(ValueError):
        windows([5], max_length=2, cls=1, sep=2)


@pytest.mark.slow  # imports torch, which takes long on a busy machine
def test_pooling_ignores_padding_and_averages_chunks() -> None:
    import torch

    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 2.0]]
    vectors = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0]])
    assert average_by_owner(vectors, [0, 0, 1], 2).tolist() == [[2.0, 0.0], [0.0, 5.0]]


def test_default_window_matches_the_model() -> None:
    assert DEFAULT_MAX_LENGTH == 256


@pytest.mark.slow
def test_encode_reports_chunks_and_normalises() -> None:
    import numpy as np

    out = SentenceEncoder(device="cpu", max_length=32).encode(["word " * 100, "a short one", "another"])
    assert out.chunks == [4, 1, 1]
    assert out.embeddings.shape == (3, 384)
    assert np.allclose(np.linalg.norm(out.embeddings, axis=1), 1.0, atol=1e-5)
