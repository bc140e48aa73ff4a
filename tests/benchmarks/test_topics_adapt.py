"""The encoder-adaptation experiment (benchmarks/topics_adapt.py, issue 26): the losses, the neighbour
positives, option checks, and (slow) the real MiniLM adapted both ways, saved and loaded back offline."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.topics_adapt import AdaptOptions, cluster_loss, joint_neighbours, simcse_loss, student_t
from core.errors import InvalidInput
from nlp.topics.synth import themed_corpus


def test_simcse_loss_is_low_for_matching_views_and_high_for_shuffled_ones() -> None:
    import torch

    z = torch.nn.functional.normalize(torch.randn(16, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    matched = simcse_loss(z, z, 0.05)
    shuffled = simcse_loss(z, z.roll(1, dims=0), 0.05)
    assert float(matched) < 0.5 < float(shuffled)


def test_cluster_loss_is_zero_only_for_a_sharp_assignment() -> None:
    import torch

    centres = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    z = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.9, 0.1], [-0.9, -0.1]])
    q = student_t(z, centres)
    assert torch.allclose(q.sum(1), torch.ones(4))
    assert q[0, 0] > q[0, 1] and q[1, 1] > q[1, 0]
    # the sharpened target differs from q, so the loss pulls towards the nearer centre
    assert float(cluster_loss(q)) > 0
    sharp = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert float(cluster_loss(sharp)) == pytest.approx(0.0, abs=1e-6)


def test_neighbours_come_from_the_same_theme_and_never_the_text_itself() -> None:
    texts, labels = themed_corpus(20)
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(len(texts), 16)).astype(np.float32)  # uninformative: words must carry it
    found = joint_neighbours(texts, embeddings, k=5)
    assert found.shape == (len(texts), 5)
    assert all(i not in row for i, row in enumerate(found.tolist()))
    same = np.mean([labels[j] == labels[i] for i, row in enumerate(found.tolist()) for j in row])
    assert same > 0.6  # chance (random embeddings alone) is about 1/3


@pytest.mark.parametrize("bad", [{"epochs": 0}, {"batch_size": 1}, {"max_length": 4}, {"positives": "crops"},
                                 {"cluster_weight": -1.0}])
def test_bad_adapt_options_are_rejected(bad: dict) -> None:
    with pytest.raises(InvalidInput):
        AdaptOptions(**bad).validate()


@pytest.mark.slow
@pytest.mark.parametrize("positives", ["dropout", "neighbours"])
def test_adapting_the_real_encoder_changes_its_embeddings_and_saves_a_loadable_folder(positives: str,
                                                                                      tmp_path: Path) -> None:
    import torch

    from benchmarks.topics_adapt import adapt_encoder
    from core.device import resolve_placement
    from nlp.encoder import SentenceEncoder, encoder_path

    torch.set_num_threads(1)
    texts, _ = themed_corpus(12)
    options = AdaptOptions(batch_size=8, max_length=32, max_steps=3, lr=1e-4, positives=positives, neighbours=3)
    result = adapt_encoder(texts, encoder_path(), tmp_path / "encoder", options, resolve_placement("cpu"))
    assert result.steps == 3 and result.texts == len(set(texts))
    probe = ["rocket launch to orbit", "shares and profit"]
    plain = SentenceEncoder(device="cpu").load().encode(probe).embeddings
    adapted = SentenceEncoder(device="cpu", path=tmp_path / "encoder").load().encode(probe).embeddings
    assert adapted.shape == plain.shape
    assert np.abs(plain - adapted).max() > 1e-4  # adaptation moved the encoder


def test_too_few_texts_for_a_batch_is_an_error() -> None:
    from benchmarks.topics_adapt import adapt_encoder
    from core.device import resolve_placement

    with pytest.raises(InvalidInput, match="distinct texts"):
        adapt_encoder(["one", "two"], Path("unused"), Path("unused"), AdaptOptions(batch_size=8),
                      resolve_placement("cpu"))
