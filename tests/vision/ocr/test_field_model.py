"""The learned receipt-field extractor on generated receipts: vocabulary correction, rankers, model file, fallbacks."""
from __future__ import annotations

import json
import logging
import random

import numpy as np
import pytest

from core.errors import ConfigError
from vision.ocr.field_model import DEFAULT_MODEL, Example, FieldModel, LogisticScorer, cross_validate, fit
from vision.ocr.field_vocabulary import Vocabulary
from vision.ocr.fields import Word, extract_fields, extract_rules, load_field_set, same_value
from vision.ocr.schemas import FieldSet, FieldSpec

MERCHANTS = [
    ("TEO HENG STATIONERY & BOOKS", ["NO. 53, JALAN BESAR,", "45600 BATANG BERJUNTAI", "SELANGOR DARUL EHSAN"]),
    ("KEDAI PAPAN YEW CHUAN", ["LOT 276 JALAN BANTING", "43800 DENGKIL, SELANGOR."]),
    ("SYARIKAT PERNIAGAAN GIN KEE", ["NO 290, JALAN AIR PANAS,", "SETAPAK, 53200 KUALA LUMPUR."]),
    ("UNIHAKKA INTERNATIONAL SDN BHD", ["12, JALAN TAMPOI 7/4, KAWASAN", "PERINDUSTRIAN TAMPOI,", "81200 JOHOR BAHRU, JOHOR"]),
    ("MR D.I.Y. (M) SDN BHD", ["LOT 1851-A & 1851-B, JALAN KPB 6,", "43300 SERI KEMBANGAN, SELANGOR"]),
    ("AIK HUAT HARDWARE ENTERPRISE", ["NO. 17-G, JALAN SETIA INDAH,", "40170 SHAH ALAM, SELANGOR"]),
]


def _line(text: str, y: float, x: float = 10.0, height: float = 20.0) -> list[Word]:
    words, at = [], x
    for token in text.split():
        words.append(Word(token, (at, y, at + 0.6 * height * len(token), y + height), 0.9))
        at += 0.6 * height * len(token) + 10
    return words


def _receipt(rng: random.Random, merchant: int, misread: bool = False) -> tuple[list[Word], dict[str, str]]:
    """A receipt's words (rows of boxes) and its key: a person's name or a title first now and then, the
    company in large print, the address, phone, date, items, subtotal, total, rounding, cash and change."""
    company, address = MERCHANTS[merchant]
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    prices = [round(rng.uniform(1, 60), 2) for _ in range(rng.randint(1, 4))]
    total = round(sum(prices), 1)
    words: list[Word] = []
    y = 10.0
    if rng.random() < 0.5:
        words += _line(rng.choice(["tan woon yann", "TAX INVOICE", "WELCOME"]), y)
        y += 30
    words += _line(company, y, height=28)
    y += 40
    lines = [a.replace("JALAN", "JALAM").replace("TAMPOI", "TAMPOL") for a in address] if misread else address
    for text in lines:
        words += _line(text, y)
        y += 30
    for text in (f"TEL: 03-{rng.randint(1000000, 9999999)}", f"DATE: {day:02d}/{month:02d}/2018 {rng.randint(10, 22)}:31"):
        words += _line(text, y)
        y += 30
    for k, price in enumerate(prices):
        words += _line(f"ITEM {k + 1}", y) + _line(f"{price:.2f}", y, x=400)
        y += 30
    for label, value in (("SUBTOTAL", sum(prices)), ("TOTAL ROUNDED", total), ("CASH", 100.0),
                         ("CHANGE", 100.0 - total)):
        words += _line(label, y) + _line(f"RM {value:.2f}", y, x=400)
        y += 30
    key = {"company": company, "date": f"{day:02d}/{month:02d}/2018", "address": " ".join(address),
           "total": f"{total:.2f}"}
    return words, key


def _examples(n: int, seed: int, merchants: range, misread: bool = False) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        merchant = merchants[k % len(merchants)]
        words, key = _receipt(rng, merchant, misread)
        transcript = [key["company"], *MERCHANTS[merchant][1]]
        out.append(Example(f"{seed}-{k}", words, key, transcript))
    return out


def test_vocabulary_corrects_misreads_but_not_unseen_words() -> None:
    vocabulary = Vocabulary.build(["JALAN TAMPOI 7/4", "TAMAN JOHOR JAYA", "MALAYSIA", "SERDANG"])
    assert vocabulary.correct("Jalan Tampol, Taman Johor Java, MALAYSTA") == "Jalan TAMPOI, Taman Johor JAYA, MALAYSIA"
    assert vocabulary.correct("GERBANG") == "GERBANG"  # two plain edits from SERDANG: a real word, left alone
    assert vocabulary.correct("12 BHD") == "12 BHD"    # short and unknown, no confusable match
    assert Vocabulary.from_json(json.loads(json.dumps(vocabulary.to_json()))).counts == vocabulary.counts


def test_logistic_scorer_ranks_the_informative_feature() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = (x[:, 1] > 0.2).astype(float)
    scorer = LogisticScorer.fit(x, y, l2=0.1)
    assert abs(scorer.coef[1]) > 5 * max(abs(scorer.coef[0]), abs(scorer.coef[2]))
    assert ((scorer.scores(x) > 0) == (y > 0)).mean() > 0.95


def test_learned_model_on_unseen_merchants_and_round_trip(tmp_path) -> None:
    """Trained on receipts of four merchants, it reads the fields of the other two's receipts."""
    train = _examples(24, seed=1, merchants=range(4))
    held = _examples(8, seed=2, merchants=range(4, 6))
    model = fit(train, l2=1.0, sources={"company": "learned", "address": "learned", "date": "learned",
                                        "total": "learned"})
    field_set = load_field_set()
    for example in held:
        found = model.extract(example.words, field_set)
        for name in ("company", "date", "total", "address"):
            hit = found[name]
            assert hit is not None and same_value(name, example.key[name], hit.value), (name, hit, example.key)
            assert 0.0 <= hit.confidence <= 1.0
    path = tmp_path / "model.json"
    model.save(path)
    again = FieldModel.load(path)
    values = {k: (v.value, round(v.confidence, 3)) for k, v in model.extract(held[0].words, field_set).items() if v}
    assert {k: (v.value, round(v.confidence, 3)) for k, v in again.extract(held[0].words, field_set).items() if v} \
        == values
    assert path.stat().st_size < 200_000


def test_known_merchant_value_replaces_a_misread_address() -> None:
    train = _examples(12, seed=3, merchants=range(6))
    model = fit(train, l2=1.0, snap={"company": 0.9, "address": 0.7})
    example = _examples(1, seed=4, merchants=range(3, 4), misread=True)[0]  # JALAM, TAMPOL
    assert not same_value("address", example.key["address"], extract_rules(example.words, load_field_set())["address"].value)
    found = model.extract(example.words, load_field_set())["address"]
    assert found is not None and same_value("address", example.key["address"], found.value)


def test_cross_validation_scores_every_receipt_once() -> None:
    examples = _examples(10, seed=5, merchants=range(6))
    outcomes = cross_validate(examples, l2=1.0, folds=5)
    assert all(len(v) == 10 for v in outcomes.values())


def test_bundled_model_loads_and_extract_fields_chooses_it() -> None:
    model = FieldModel.load()
    assert set(model.scorers) == {"company", "date", "address", "total"} and DEFAULT_MODEL.stat().st_size < 500_000
    words, key = _receipt(random.Random(6), 1)
    learned = extract_fields(words, load_field_set(), "learned")
    assert extract_fields(words, load_field_set(), "auto") == learned  # auto = learned for the bundled set
    assert extract_fields(words, load_field_set()) == learned  # default: auto
    assert same_value("total", key["total"], learned["total"].value)
    assert same_value("date", key["date"], learned["date"].value)


def test_client_field_set_uses_the_rules(caplog) -> None:
    client = FieldSet(name="client", fields=[FieldSpec(name="total", kind="amount", anchors=["TOTAL"])])
    words, _key = _receipt(random.Random(7), 0)
    assert extract_fields(words, client) == extract_rules(words, client)
    with pytest.raises(ConfigError, match="bundled receipt field set only"):
        extract_fields(words, client, "learned")
    with pytest.raises(ValueError, match="extractor"):
        extract_fields(words, client, "neural")


def test_broken_model_file_falls_back_to_rules_with_a_logged_reason(tmp_path, caplog, monkeypatch) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"version": 0, "features": {}}', encoding="utf-8")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="retrain"):
        FieldModel.load(tmp_path / "list.json")
    with pytest.raises(ConfigError, match="retrain"):
        FieldModel.load(path)
    with pytest.raises(ConfigError, match="does not exist"):
        FieldModel.load(tmp_path / "missing.json")
    words, _ = _receipt(random.Random(8), 2)
    field_set = load_field_set()
    from vision.ocr import field_model

    monkeypatch.setattr(field_model, "DEFAULT_MODEL", path)
    with caplog.at_level(logging.WARNING, logger="vision.ocr.fields"):
        found = extract_fields(words, field_set, "auto")
    assert found == extract_rules(words, field_set)
    assert "learned field model not used" in caplog.text
