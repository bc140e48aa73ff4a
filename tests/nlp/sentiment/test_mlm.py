"""Continued masked-LM pre-training (``--mlm-epochs``): masking, weight updates, determinism, option checks."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from core.errors import InvalidInput

WORDS = ["makanan", "enak", "sekali", "pelayanan", "buruk", "kecewa", "tempat", "nyaman", "mantap", "banget"]


def _tiny_encoder(seed: int = 0) -> tuple[Any, Any]:
    """A 2-layer random BERT and a word-level tokenizer over WORDS (no real weights: a fast test)."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *(str(i) for i in range(10))]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)})
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    backbone = BertModel(config)
    for name, param in backbone.named_parameters():
        param.requires_grad = name.startswith("encoder.layer.1.")  # the top layer only, as --train-layers 1
    return tokenizer, backbone


def _corpus(n: int = 48) -> list[str]:
    import random

    rng = random.Random(3)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))) + f" {i}" for i in range(n)]


def test_masking_follows_bert_and_never_touches_special_tokens() -> None:
    import torch

    from nlp.sentiment.mlm import IGNORE, mask_tokens

    ids = torch.randint(5, 1000, (200, 100))
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    special[:, 80:] = True  # padding
    masked, labels = mask_tokens(ids, special, 1000, 4, 0.15, torch.Generator().manual_seed(1))
    chosen = labels != IGNORE
    assert not chosen[special].any() and torch.equal(masked[special], ids[special])
    assert torch.equal(labels[chosen], ids[chosen])
    share = chosen.sum().item() / (~special).sum().item()
    assert 0.13 < share < 0.17
    as_mask = (masked[chosen] == 4).float().mean().item()
    kept = (masked[chosen] == ids[chosen]).float().mean().item()
    assert 0.77 < as_mask < 0.83 and 0.08 < kept < 0.13  # 80 % [MASK]; 10 % kept (+ rare random hits)
    assert torch.equal(masked[~chosen], ids[~chosen])


def test_a_few_mlm_steps_change_only_the_trainable_layers_deterministically(tmp_path: Path) -> None:
    import torch

    from nlp.sentiment.mlm import MlmConfig, continue_pretraining

    tokenizer, backbone = _tiny_encoder()
    before = {n: p.detach().clone() for n, p in backbone.named_parameters()}
    config = MlmConfig(epochs=2, batch_size=8, max_length=16, lr_layers=1e-3, log_every=2, seed=5)
    result = continue_pretraining(backbone, tokenizer, _corpus(), config, progress=False)
    assert result.steps == result.planned_steps == 12 and result.texts == 48 and not result.stopped_by_time
    assert math.isfinite(result.first_loss) and math.isfinite(result.last_loss)
    assert all(math.isfinite(h["loss"]) for h in result.history) and len(result.history) == 6
    changed = {n for n, p in backbone.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(n.startswith("encoder.layer.1.") for n in changed)
    assert "embeddings.word_embeddings.weight" not in changed  # the tied decoder is frozen with the embeddings
    again_tok, again = _tiny_encoder()
    continue_pretraining(again, again_tok, _corpus(), config, progress=False)
    for (name, a), b in zip(backbone.named_parameters(), again.parameters()):
        assert torch.equal(a, b), name


def test_mlm_head_is_tied_to_the_word_embeddings_with_a_zero_bias(tmp_path: Path) -> None:
    from nlp.sentiment.mlm import MlmHead

    _, backbone = _tiny_encoder()
    head = MlmHead(backbone, seed=1)
    assert head.embeddings.weight is backbone.embeddings.word_embeddings.weight
    assert float(head.bias.detach().abs().sum()) == 0.0 and head.bias.shape[0] == backbone.config.vocab_size


def test_mlm_refuses_when_nothing_would_change(tmp_path: Path) -> None:
    from nlp.sentiment.mlm import MlmConfig, continue_pretraining

    tokenizer, backbone = _tiny_encoder()
    for param in backbone.parameters():
        param.requires_grad = False
    with pytest.raises(InvalidInput, match="no encoder parameter is trainable"):
        continue_pretraining(backbone, tokenizer, _corpus(), MlmConfig(), progress=False)
    with pytest.raises(InvalidInput, match="epochs must be > 0"):
        continue_pretraining(backbone, tokenizer, _corpus(), MlmConfig(epochs=0), progress=False)


@pytest.mark.parametrize("args, message", [
    (["--mlm-epochs", "-1"], "must be >= 0"),
    (["--mlm-max-minutes", "5"], "need --mlm-epochs"),
    (["--mlm-epochs", "1", "--train-layers", "0"], "would change nothing"),
    (["--mlm-epochs", "1", "--mlm-data", "missing.txt"], "does not exist"),
])
def test_fine_tune_validates_the_mlm_options_before_loading(tmp_path: Path, args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from nlp.sentiment.cli import app

    data = tmp_path / "client.csv"
    data.write_text("text,label\ngood,positive\nbad,negative\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["fine-tune", "--data", str(data), "--device", "cpu", *args],
                             env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert out.exit_code == 2 and message in out.output


@pytest.mark.slow
def test_fine_tune_with_mlm_first_on_the_bundled_encoder(tmp_path: Path) -> None:
    """The real path: MLM on the training texts (never the test split's, even when --mlm-data holds them)."""
    from nlp.sentiment.adapt import adapt
    from nlp.sentiment.classifier import SentimentClassifier
    from nlp.sentiment.datasets import read_labelled
    from nlp.sentiment.train import FineTuneConfig

    rows = [f"makanan enak sekali mantap {i}\tpuas" for i in range(20)] + \
        [f"pelayanan buruk kecewa {i}\tkecewa" for i in range(20)]
    (tmp_path / "client.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = read_labelled(tmp_path / "client.tsv", 0, 1, labels="auto", header=False)
    extra = [r.split("\t")[0] for r in rows] + ["tempatnya nyaman banget", "gak enak bgt"]
    report = adapt(data, tmp_path / "model", FineTuneConfig(train_layers=1, epochs=1, batch_size=8, holdout=0.2,
                                                            device="cpu", mlm_epochs=1.0),
                   start_from=None, test_fraction=0.2, progress=False, mlm_texts=extra)
    mlm = report.result.mlm
    assert mlm is not None and math.isfinite(float(mlm["last_loss"]))  # type: ignore[arg-type]
    train, hold = report.result.train, report.result.holdout
    assert train is not None and hold is not None and len(train) + len(hold) == 32  # 8 of 40 in the test split
    assert mlm["texts"] == len(train) + 2  # + the 2 new texts; test and early-stopping texts dropped
    assert "MLM pre-training first" in report.result.config.trained_on
    tuned = SentimentClassifier(weights=tmp_path / "model", device="cpu").load()
    assert tuned.labels == ("kecewa", "puas")
