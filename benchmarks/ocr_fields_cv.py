"""Key fields on the SROIE tuning receipts (001-052) by 5-fold cross-validation, every extractor side by side.

Every tuning receipt is read once by the ``ppocr`` engine *without* its receipt vocabulary (the cache of
``benchmarks.ocr_vocabulary_cv``: each receipt's lines of words with their confidences); per fold the reading's
vocabulary step is then replayed (``--reading-vocabulary folds``: a vocabulary built from the training folds'
transcriptions only, so no receipt's own words correct its reading; ``bundled``: the shipped vocabulary of all 50
tuning receipts, which reproduces ``ais ocr evaluate --split tune`` word for word, in-sample), and each field
extractor is scored on the held-out fold with its lexicon / rankers trained on the other four folds (the folds of
``ais ocr train-fields``: receipt k of the sorted tuning receipts is in fold k % 5):

- ``rules``: the field rules of ``receipt_fields.yaml`` alone (they were written from tuning receipts: in-sample);
- ``auto``: the rules' values, company and address words corrected from the training folds' vocabulary
  (the bundled default);
- ``learned``: the logistic rankers of ``field_model.py`` for every field (same lexicon).

A per-field choice is read off the table: the fields do not interact (no known-merchant step).
Fields exact match as in ``ais ocr evaluate --data`` (Wilson 95 % interval over the pooled field outcomes),
pooled and per fold::

    .venv/bin/python -m benchmarks.ocr_vocabulary_cv --data ../shared/data/ocr/receipts_sroie --cache runs/novocab
    .venv/bin/python -m benchmarks.ocr_fields_cv --data ../shared/data/ocr/receipts_sroie --readings runs/novocab \
        [--reading-vocabulary folds|bundled|none] [--by receipt|merchant] [--l2 1.0] [--misses auto] [--folds 5]

``--split all`` cross-validates over all 100 development receipts instead (the issue's "a learned model trained on
the 100 development receipts if it beats the rules on held-out ones"): the rankers and lexicons of each fold are
trained on the other folds' receipts of both parts, and the table is also given for each part alone. Receipts of
the reported part (053-105) are then rules-untuned: their rules row is a held-out number, their learned row a
cross-validated one. ``--read`` reads any receipt missing from ``--readings`` the way ``benchmarks.ocr_vocabulary_cv``
does (PP-OCR without the vocabulary) and caches it there::

    .venv/bin/python -m benchmarks.ocr_fields_cv --data ../shared/data/ocr/receipts_sroie --readings runs/novocab \
        --split all --read --by merchant --folds 10
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tqdm import tqdm

from benchmarks.ocr_folds import tuning_pages
from benchmarks.ocr_vocabulary_cv import novocab_reader, read_lines
from core.stats import wilson_interval
from vision.ocr.field_model import FIELDS, Example, fit
from vision.ocr.fields import Found, Word, extract_rules, load_field_set, normalise_value, same_value
from vision.ocr.labelled import LabelledPage, read_labelled, split_of
from vision.ocr.lexicon import Vocabulary, build_vocabulary, bundled_vocabulary
from vision.ocr.ppocr import apply_vocabulary
from vision.ocr.tesseract import TesseractWord

Extractor = Callable[[Example], dict[str, Found | None]]
EXTRACTORS = ("rules", "auto", "learned")


def cached_lines(readings: Path, name: str) -> list[list[TesseractWord]]:
    """One receipt's lines of words as ``benchmarks.ocr_vocabulary_cv`` cached them (no vocabulary applied)."""
    rows = json.loads((readings / f"{name}.json").read_text(encoding="utf-8"))
    return [[TesseractWord(t, tuple(b), c, 1, 1, k) for t, b, c in row] for k, row in enumerate(rows)]  # type: ignore[arg-type]


def example(page: LabelledPage, lines: list[list[TesseractWord]], vocabulary: Vocabulary | None) -> Example:
    """The receipt as ``extract`` sees it: each line through the reader's vocabulary step, one line number each."""
    words = [Word(w.text, w.box, 1.0, k) for k, line in enumerate(lines)
             for w in (apply_vocabulary(line, vocabulary) if vocabulary is not None else line)]
    return Example(page.name, words, dict(page.key or {}), [line.text for line in page.lines])


def extractors(train: Sequence[Example], l2: float) -> dict[str, Extractor]:
    """The candidates, each trained (lexicon, rankers) on ``train`` only."""
    field_set = load_field_set()
    ruled = fit(train, l2, {f: "rules" for f in FIELDS})
    learned = fit(train, l2, {f: "learned" for f in FIELDS})
    return {"rules": lambda e: extract_rules(e.words, field_set),
            "auto": lambda e: ruled.extract(e.words, field_set),
            "learned": lambda e: learned.extract(e.words, field_set)}


Outcomes = dict[str, dict[str, list[tuple[int, str, bool, str | None]]]]  # extractor -> field -> (fold, name, ok, value)


def fold_of(pages: Sequence[LabelledPage], folds: int, by: str = "receipt") -> list[int]:
    """Each page's fold: ``receipt`` = k % folds (the folds of ``ais ocr train-fields``); ``merchant`` = every
    receipt of one merchant (same labelled company, letters and digits) in one fold, the merchants dealt in order
    of first appearance to the fold with the fewest receipts so far (no shop is both trained and scored on)."""
    if by == "receipt":
        return [k % folds for k in range(len(pages))]
    groups: dict[str, list[int]] = {}
    for k, page in enumerate(pages):
        groups.setdefault(normalise_value("company", (page.key or {}).get("company", "")) or page.name, []).append(k)
    out = [0] * len(pages)
    sizes = [0] * folds
    for members in groups.values():
        fold = sizes.index(min(sizes))
        sizes[fold] += len(members)
        for k in members:
            out[k] = fold
    return out


def cross_validate(pages: Sequence[LabelledPage], readings: Path, reading_vocabulary: str, folds: int,
                   l2: float, by: str = "receipt") -> Outcomes:
    lines = {p.name: cached_lines(readings, p.name) for p in pages if p.key}
    keyed = [p for p in pages if p.key]
    assigned = fold_of(keyed, folds, by)
    outcomes: Outcomes = {x: {f: [] for f in FIELDS} for x in EXTRACTORS}
    for fold in range(folds):
        train_pages = [p for k, p in enumerate(keyed) if assigned[k] != fold]
        held_pages = [p for k, p in enumerate(keyed) if assigned[k] == fold]
        vocabulary = {"folds": build_vocabulary(p.reference_text for p in train_pages),
                      "bundled": bundled_vocabulary(), "none": None}[reading_vocabulary]
        train = [example(p, lines[p.name], vocabulary) for p in train_pages]
        held = [example(p, lines[p.name], vocabulary) for p in held_pages]
        for name, extract in extractors(train, l2).items():
            for item in held:
                found = extract(item)
                for field in FIELDS:
                    if item.key.get(field):
                        hit = found.get(field)
                        value = hit.value if hit else None
                        outcomes[name][field].append((fold, item.name, same_value(field, item.key[field], value),
                                                      value))
    return outcomes


def _mean(per_field: dict[str, list[bool]]) -> float:
    rates = [sum(v) / len(v) for v in per_field.values() if v]
    return sum(rates) / len(rates) if rates else float("nan")


def restricted(outcomes: Outcomes, names: set[str]) -> Outcomes:
    """The outcomes of the receipts named only (one part of the development receipts)."""
    return {x: {f: [o for o in v if o[1] in names] for f, v in per_field.items()} for x, per_field in outcomes.items()}


def table(outcomes: Outcomes, folds: int) -> list[str]:
    head = f"| extractor ({folds}-fold CV) | " + " | ".join(FIELDS) + " | mean (95 %) | " + \
        " | ".join(f"fold {k}" for k in range(folds)) + " |"
    lines = [head, "|---" * (len(FIELDS) + 2 + folds) + "|"]
    for name, per_field in outcomes.items():
        pooled = {f: [ok for _, _, ok, _ in v] for f, v in per_field.items()}
        oks = [ok for v in pooled.values() for ok in v]
        low, high = wilson_interval(sum(oks), len(oks))
        by_fold = [_mean({f: [ok for k, _, ok, _ in v if k == fold] for f, v in per_field.items()})
                   for fold in range(folds)]
        lines.append(f"| {name} | " + " | ".join(f"{sum(v) / len(v):.1%}" for v in pooled.values())
                     + f" | {_mean(pooled):.1%} ({low:.1%}-{high:.1%}) | " + " | ".join(f"{m:.1%}" for m in by_fold)
                     + " |")
    return lines


def misses(outcomes: Outcomes, extractor: str, pages: Sequence[LabelledPage]) -> list[str]:
    keys = {p.name: p.key or {} for p in pages}
    out = []
    for field, values in outcomes[extractor].items():
        for fold, name, ok, value in values:
            if not ok:
                out.append(f"{field:8s} fold {fold} {name}: key {normalise_value(field, keys[name][field])!r} "
                           f"got {normalise_value(field, value)!r}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the SROIE folder (img/ box/ key/)")
    parser.add_argument("--readings", type=Path, required=True,
                        help="the PP-OCR readings without vocabulary cached by benchmarks.ocr_vocabulary_cv")
    parser.add_argument("--reading-vocabulary", choices=("folds", "bundled", "none"), default="folds")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--by", choices=("receipt", "merchant"), default="receipt",
                        help="folds of receipts (k %% folds) or of merchants (no shop on both sides)")
    parser.add_argument("--misses", choices=EXTRACTORS, default=None, help="list this extractor's misses")
    parser.add_argument("--split", choices=("tune", "all"), default="tune",
                        help="tune: the 50 tuning receipts; all: the 100 development receipts, also per part")
    parser.add_argument("--read", action="store_true", help="read receipts missing from --readings (PP-OCR, "
                                                            "no vocabulary) and cache them there")
    args = parser.parse_args()
    started = time.process_time()
    if args.split == "tune":
        pages = tuning_pages(args.data)
    else:
        pages = list(read_labelled(args.data, "sroie").pages)
    missing = [p for p in pages if not (args.readings / f"{p.name}.json").is_file()]
    if missing and args.read:
        reader = novocab_reader()
        for page in tqdm(missing, desc="PP-OCR"):
            read_lines(reader, page.image_path, args.readings / f"{page.name}.json")
    elif missing:
        parser.error(f"{len(missing)} receipts have no reading in {args.readings} (first {missing[0].name}); "
                     "pass --read to read them")
    outcomes = cross_validate(pages, args.readings, args.reading_vocabulary, args.folds, args.l2, args.by)
    print(f"{len(pages)} receipts ({args.split}), folds by {args.by}, reading vocabulary: {args.reading_vocabulary}, "
          f"l2 {args.l2}")
    print("\n".join(table(outcomes, args.folds)))
    if args.split == "all":
        for part in ("tune", "report"):
            names = {p.name for p in pages if split_of(p.name) == part}
            print(f"\n{part} part only ({len(names)} receipts), same cross-validation:")
            print("\n".join(table(restricted(outcomes, names), args.folds)))
    if args.misses:
        print("\n".join(misses(outcomes, args.misses, pages)))
    print(f"CPU {time.process_time() - started:.1f} s")


if __name__ == "__main__":
    main()
