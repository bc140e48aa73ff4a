"""The key-field CV benchmark's folds (by receipt / by merchant) and its replay of the reader's vocabulary step."""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks.ocr_fields_cv import cached_lines, cross_validate, example, fold_of, restricted, table
from vision.ocr.labelled import LabelledPage, TruthLine
from vision.ocr.lexicon import Vocabulary


def _page(name: str, company: str, lines: tuple[str, ...] = ()) -> LabelledPage:
    return LabelledPage(name, Path(f"{name}.jpg"), [TruthLine((0, 0, 1, 1), t) for t in lines],
                        key={"company": company, "date": "19/10/2018", "address": "NO 5, JALAN BESAR, 81100 JOHOR BAHRU",
                             "total": "9.00"})


def test_merchant_folds_keep_a_shop_on_one_side() -> None:
    pages = [_page(f"{k:03d}", c) for k, c in enumerate(["A SDN BHD", "B", "A SDN. BHD.", "C", "A SDN BHD", "D"])]
    assert fold_of(pages, 3) == [0, 1, 2, 0, 1, 2]
    folds = fold_of(pages, 3, "merchant")
    assert folds[0] == folds[2] == folds[4]  # one merchant, however its name is punctuated
    assert len(set(folds)) == 3 and sorted(folds).count(folds[0]) == 3


def test_reading_vocabulary_replayed_per_line(tmp_path: Path) -> None:
    (tmp_path / "001.json").write_text(json.dumps([[["THANKYOU", [0, 0, 80, 10], 0.99]],
                                                   [["TOTAL", [0, 20, 50, 30], 0.99], ["9.00", [60, 20, 90, 30], 0.9]]]))
    lines = cached_lines(tmp_path, "001")
    page = _page("001", "A")
    assert [w.text for w in example(page, lines, None).words] == ["THANKYOU", "TOTAL", "9.00"]
    words = example(page, lines, Vocabulary(frozenset({"THANK", "YOU", "TOTAL"}))).words
    assert [(w.text, w.line) for w in words] == [("THANK", 0), ("YOU", 0), ("TOTAL", 1), ("9.00", 1)]


def test_cross_validation_scores_every_held_out_receipt(tmp_path: Path) -> None:
    pages = []
    for k in range(6):
        name = f"{k + 1:03d}"
        rows = [f"SHOP{k} SDN BHD", "NO 5, JALAN BESAR,", "81100 JOHOR BAHRU", "DATE: 19/10/2018", "TOTAL 9.00"]
        (tmp_path / f"{name}.json").write_text(json.dumps(
            [[[t, [10 + 60 * i, 30 * y, 60 + 60 * i, 30 * y + 20], 0.99] for i, t in enumerate(row.split())]
             for y, row in enumerate(rows)]))
        pages.append(_page(name, f"SHOP{k} SDN BHD", tuple(rows)))
    outcomes = cross_validate(pages, tmp_path, "folds", folds=3, l2=1.0)
    assert {name: [len(v) for v in per_field.values()] for name, per_field in outcomes.items()} == \
        {"rules": [6, 6, 6, 6], "auto": [6, 6, 6, 6], "learned": [6, 6, 6, 6]}
    assert all(ok for per_field in outcomes["rules"].values() for _, _, ok, _ in per_field)
    assert "| rules | 100.0% | 100.0% | 100.0% | 100.0% | 100.0% (" in "\n".join(table(outcomes, 3))


def test_one_part_of_the_receipts_is_tabled_alone() -> None:
    outcomes = {"rules": {"company": [(0, "001", True, "A"), (1, "060", False, "B")],
                          "total": [(0, "001", True, "9.00"), (1, "060", True, "9.00")]}}
    report = restricted(outcomes, {"060"})
    assert report == {"rules": {"company": [(1, "060", False, "B")], "total": [(1, "060", True, "9.00")]}}
    assert "| rules | 0.0% | 100.0% | 50.0% (" in "\n".join(table(report, 2))
