"""The shared sentence encoder: a bundled encoder (``nlp/encoders.py``; all-MiniLM-L6-v2 unless another is named),
batched by length, long texts chunked, never truncated.

A text longer than the model's window (256 tokens by default) is split into consecutive chunks
of at most ``max_length`` tokens; its embedding is the mean of its chunk embeddings, and the
number of chunks is reported with every result so callers can see it happened.

>>> enc = SentenceEncoder(device="cpu").load()          # doctest: +SKIP
>>> out = enc.encode(["a fine film", "dull"])           # doctest: +SKIP
>>> out.embeddings.shape, out.chunks                    # doctest: +SKIP
((2, 384), [1, 1])
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.device import Placement, resolve_placement
from core.offline import enforce_offline
from nlp.encoders import DEFAULT_ENCODER, MINILM, encoder_folder, encoder_spec

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# sentiment's backbone: its trained heads depend on MiniLM's 384-d vectors (the registry holds the rest)
EMBEDDING_DIM = MINILM.dim
DEFAULT_MAX_LENGTH = MINILM.max_length  # the window all-MiniLM-L6-v2 was trained with (sentence_bert_config.json)


def encoder_path() -> Path:
    """Folder of the bundled MiniLM (sentiment's backbone); raises WeightsUnavailable with the pip command when absent."""
    return encoder_folder(MINILM)


@dataclass(frozen=True)
class Encoded:
    """Embeddings (``n x dim``, L2-normalised float32) and how many chunks each text was split into."""

    embeddings: np.ndarray
    chunks: list[int]


@dataclass(frozen=True)
class ChunkBatch:
    """A padded batch of chunks; ``owner[i]`` is the index of the text chunk ``i`` belongs to."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    owner: list[int]


def load_backbone(placement: Placement, path: Path | None = None) -> tuple[Any, Any]:
    """Tokenizer and transformer from a bundled folder (offline; default the MiniLM), on the placement's device, in eval mode."""
    enforce_offline()
    from transformers import AutoModel, AutoTokenizer

    folder = path or encoder_path()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    model.to(placement.device, dtype=placement.torch_dtype()).eval()
    return tokenizer, model


def windows(ids: Sequence[int], max_length: int, cls: int, sep: int) -> list[list[int]]:
    """Consecutive windows of at most ``max_length`` tokens, each wrapped in [CLS] ... [SEP].

    >>> windows([5, 6, 7, 8, 9], max_length=8, cls=1, sep=2)
    [[1, 5, 6, 7, 8, 9, 2]]
    >>> windows([5, 6, 7], max_length=4, cls=1, sep=2)
    [[1, 5, 6, 2], [1, 7, 2]]
    """
    if max_length < 3:
        raise ValueError(f"max_length must leave room for text between [CLS] and [SEP], got {max_length}")
    body = max_length - 2
    return [[cls, *ids[start:start + body], sep] for start in range(0, max(len(ids), 1), body)]


def chunk_ids(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[list[int]]]:
    """Token ids per text, split into windows of ``max_length`` tokens including [CLS] and [SEP]."""
    if max_length < 8:
        raise ValueError(f"max_length must be at least 8 tokens, got {max_length}")
    encoded = tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    return [windows(ids, max_length, tokenizer.cls_token_id, tokenizer.sep_token_id) for ids in encoded]


def length_sorted_batches(chunks: list[list[list[int]]], batch_size: int, pad_id: int,
                          device: str) -> Iterator[ChunkBatch]:
    """Flatten chunks, sort by length (so padding is minimal) and yield padded tensors on ``device``."""
    import torch

    flat = [(owner, ids) for owner, text_chunks in enumerate(chunks) for ids in text_chunks]
    flat.sort(key=lambda item: len(item[1]))
    for start in range(0, len(flat), batch_size):
        part = flat[start:start + batch_size]
        width = max(len(ids) for _, ids in part)
        ids = torch.full((len(part), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(part), width), dtype=torch.long)
        for row, (_, seq) in enumerate(part):
            ids[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, :len(seq)] = 1
        yield ChunkBatch(ids.to(device), mask.to(device), [owner for owner, _ in part])


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of token vectors over real (unpadded) tokens, as all-MiniLM-L6-v2 was trained."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def average_by_owner(vectors: torch.Tensor, owners: list[int], n: int) -> torch.Tensor:
    """Mean of the chunk vectors of each text (rows of ``vectors`` belong to ``owners``)."""
    import torch

    index = torch.tensor(owners, device=vectors.device)
    sums = torch.zeros((n, vectors.shape[1]), dtype=vectors.dtype, device=vectors.device)
    sums.index_add_(0, index, vectors)
    counts = torch.bincount(index, minlength=n).clamp(min=1).unsqueeze(1).to(vectors.dtype)
    return sums / counts


class SentenceEncoder:
    """Sentence embeddings from a bundled encoder; texts are expected to be validated already (core.text).

    ``encoder`` names an entry of ``nlp.encoders.ENCODERS`` (default all-MiniLM-L6-v2); ``max_length``
    defaults to the window that encoder was trained with.
    """

    def __init__(self, device: str = "auto", precision: str = "auto", max_length: int | None = None,
                 batch_size: int = 64, path: Path | None = None, max_chunks: int | None = None,
                 encoder: str = DEFAULT_ENCODER) -> None:
        self.spec = encoder_spec(encoder)
        self.device = device
        self.max_chunks = max_chunks  # None: every window; else only the first N windows of a long text
        self.precision = precision
        self.max_length = max_length or self.spec.max_length
        self.batch_size = batch_size
        self.path = path
        self.placement: Placement | None = None
        self.tokenizer: Any = None
        self.model: Any = None

    def load(self, placement: Placement | None = None) -> SentenceEncoder:
        if self.model is None:
            self.placement = placement or resolve_placement(self.device, self.precision)
            self.tokenizer, self.model = load_backbone(self.placement, self.path or encoder_folder(self.spec))
        return self

    def encode(self, texts: Sequence[str], progress: bool = False, max_chunks: int | None = None) -> Encoded:
        """Embed ``texts`` (L2-normalised); each text's chunk count says whether it was split.

        ``max_chunks`` (default: the encoder's) embeds only the first N windows of a long text (a corpus
        of books need not cost a forward pass per page); the chunk count reports the windows read.
        """
        import torch

        if self.model is None or self.placement is None:
            self.load()
        assert self.placement is not None
        chunks = chunk_ids(self.tokenizer, texts, self.max_length)
        limit = max_chunks or self.max_chunks
        if limit:
            chunks = [c[:limit] for c in chunks]
        n_chunks = sum(len(c) for c in chunks)
        pooled = torch.zeros((n_chunks, self.spec.dim), dtype=torch.float32)
        owners: list[int] = []
        batches = length_sorted_batches(chunks, self.batch_size, self.tokenizer.pad_token_id, self.placement.device)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, total=-(-n_chunks // self.batch_size), desc="embedding", unit="batch")
        row = 0
        with torch.inference_mode():
            for batch in batches:
                hidden = self.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
                vectors = mean_pool(hidden, batch.attention_mask).float().cpu()
                pooled[row:row + len(vectors)] = vectors
                owners.extend(batch.owner)
                row += len(vectors)
            # the sentence-transformers encoders normalise chunk vectors; normalise again after averaging chunks.
            per_chunk = torch.nn.functional.normalize(pooled, dim=1)
            per_text = torch.nn.functional.normalize(average_by_owner(per_chunk, owners, len(texts)), dim=1)
        return Encoded(per_text.numpy(), [len(c) for c in chunks])


class CombinedEncoder:
    """A combined registry entry: each member embeds the texts, the unit-length vectors are concatenated and
    scaled by 1/sqrt(members), so the result is unit-length (cosine = the mean of the members' cosines)."""

    def __init__(self, encoder: str, **options: Any) -> None:
        self.spec = encoder_spec(encoder)
        self.members = [SentenceEncoder(encoder=name, **options) for name in self.spec.members]

    def load(self, placement: Placement | None = None) -> CombinedEncoder:
        for member in self.members:
            member.load(placement)
        return self

    def encode(self, texts: Sequence[str], progress: bool = False, max_chunks: int | None = None) -> Encoded:
        parts = [member.encode(texts, progress=progress, max_chunks=max_chunks) for member in self.members]
        joined = np.hstack([part.embeddings for part in parts]) / np.sqrt(len(parts))
        chunks = [max(counts) for counts in zip(*(part.chunks for part in parts))]
        return Encoded(joined.astype(np.float32), chunks)


def make_encoder(encoder: str = DEFAULT_ENCODER, **options: Any) -> SentenceEncoder | CombinedEncoder:
    """The encoder a registry name stands for (options as ``SentenceEncoder``'s), not loaded yet."""
    if encoder_spec(encoder).layout == "combined":
        return CombinedEncoder(encoder, **options)
    return SentenceEncoder(encoder=encoder, **options)
