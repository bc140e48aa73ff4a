"""Are decimal points the recogniser nearly read worth restoring? 2-fold CV on the SROIE tuning part.

Research for issue 25 (page-text word F1 >= 0.90 on receipts never tuned on). Among the tuning part's misread lines,
amounts lose their decimal point (``327.00`` read ``32700``, ``58.30`` read ``58 30``): the faint point of thermal
print loses the CTC column to the blank, although its probability there is often 0.2-0.4. Here a column whose best
class is the blank becomes a ``.`` when the point's probability is at least ``t``, and the point is kept only
between two digits (``digits``), or only when exactly two digits follow it before the end of the word or line
(``amount``, the shape of a price). The rest of the engine is unchanged: printed spaces (rules + the learned word
boundaries, each fold read with the boundary model trained on the other fold: ``benchmarks.ocr_boundary_cv
--save-folds``), the other fold's vocabulary, lone marks. Page-text word F1 per fold and pooled, 95 % bootstrap
interval over receipts, paired gain over the engine.

The engine's lines come from ``benchmarks.ocr_spacing_cv``'s cache; each line's per-column best class, its
probability and the point's probability are computed once per receipt and cached beside it (``NNN.dots.npz``).

    .venv/bin/python -m benchmarks.ocr_decimal_cv --data ../shared/data/ocr/receipts_sroie \
        --cache runs/ocr_spacing_cv --boundary-folds runs/boundary_folds [--limit N]
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.ocr_boundary_cv import page_words
from benchmarks.ocr_folds import folds, page_text, print_cv_table, tuning_pages
from benchmarks.ocr_spacing_cv import CachedLine, mark_candidates, read_cached, redetect
from vision.ocr.boundary import BoundaryModel
from vision.ocr.labelled import LabelledPage
from vision.ocr.metrics import WordCounts, word_counts
from vision.ocr.ppocr import PpOcrEngine
from vision.ocr.recognisers import CtcChar

log = logging.getLogger("benchmarks.ocr_decimal_cv")


def read_columns(engine: PpOcrEngine | None, page: LabelledPage, lines: list[CachedLine], cache: Path
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per cached engine line: its columns' best class, that class's probability and the ``.``'s probability."""
    if not cache.is_file():
        assert engine is not None
        _, _, _, crops, order = redetect(engine, page.image_path, lines)
        probs = engine.recogniser.probabilities(crops)
        dot = engine.alphabet.index(".")
        arrays = {}
        for n, k in enumerate(order):
            p = probs[k]
            arrays[f"best{n}"] = p.argmax(axis=1).astype(np.int32)
            arrays[f"pbest{n}"] = p.max(axis=1).astype(np.float32)
            arrays[f"pdot{n}"] = p[:, dot].astype(np.float32)
        np.savez_compressed(cache, **arrays)
    data = np.load(cache)
    return [(data[f"best{n}"], data[f"pbest{n}"], data[f"pdot{n}"]) for n in range(len(lines))]


@dataclass(frozen=True)
class Rescue:
    threshold: float = 2.0  # > 1: off
    shape: str = "digits"  # "digits" or "amount"

    def name(self) -> str:
        return "engine" if self.threshold > 1 else f"point p>={self.threshold} {self.shape}"


def rescued_chars(chars: tuple[CtcChar, ...], columns: tuple[np.ndarray, np.ndarray, np.ndarray],
                  rescue: Rescue) -> tuple[CtcChar, ...]:
    """The line's characters with a ``.`` inserted where a blank column's point probability reaches the
    threshold between two digits (and, for ``amount``, two digits then the end of the word follow)."""
    best, _, pdot = columns
    width = max(1, len(best))
    centres = [c.centre * width - 0.5 for c in chars]  # back to column units
    out = list(chars)
    candidates = [t for t in range(len(best)) if best[t] == 0 and pdot[t] >= rescue.threshold]
    for t in sorted(candidates, reverse=True):  # right to left: indices before stay valid
        k = next((i for i, c in enumerate(centres) if c > t), len(chars))  # the first character after column t
        if k == 0 or k == len(chars) or not (chars[k - 1].text.isdigit() and chars[k].text.isdigit()):
            continue
        if any(abs(centres[i] - t) < 1 for i in (k - 1, k)):  # a character's own column: not a gap
            continue
        if rescue.shape == "amount":
            after = [c.text for c in chars[k:k + 3]]
            if not (len(after) >= 2 and after[0].isdigit() and after[1].isdigit()
                    and (len(after) == 2 or not after[2].isdigit())):
                continue
        if out[k - 1].text == "." or (k < len(out) and out[k].text == "."):
            continue
        out.insert(k, CtcChar(".", (t + 0.5) / width, float(pdot[t])))
    return tuple(out)


def rescued_lines(lines: list[CachedLine], columns: list, rescue: Rescue) -> list[CachedLine]:
    """The receipt's cached lines with their points restored as ``rescue`` says (unchanged when it is off)."""
    if rescue.threshold > 1:
        return lines
    out = []
    for cached, cols in zip(lines, columns):
        chars = rescued_chars(cached.line.chars, cols, rescue)
        out.append(replace(cached, line=replace(cached.line, chars=chars, text="".join(c.text for c in chars))))
    return out


def evaluate(pages: list[LabelledPage], data: dict, models: list[BoundaryModel | None], rescue: Rescue
             ) -> tuple[list[WordCounts], list[WordCounts]]:
    counts: tuple[list[WordCounts], list[WordCounts]] = ([], [])
    for fold, vocabulary, test in folds(pages):
        for page in test:
            lines, columns, candidates = data[page.name]
            words = page_words(rescued_lines(lines, columns, rescue), candidates, vocabulary, models[fold])
            text = page_text(words)
            counts[fold].append(word_counts(page.reference_text.upper(), text.upper()))
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="benchmarks.ocr_spacing_cv's cache folder")
    parser.add_argument("--boundary-folds", type=Path, default=None,
                        help="fold0.json / fold1.json of benchmarks.ocr_boundary_cv --save-folds (default: rules alone)")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pages = tuning_pages(args.data, args.limit)
    models: list[BoundaryModel | None] = [None, None]
    if args.boundary_folds is not None:
        models = [BoundaryModel.load(args.boundary_folds / f"fold{fold}.json") for fold in (0, 1)]
    suffixes = (".npz", ".marks.json", ".dots.npz")
    engine = None
    if not all((args.cache / f"{p.name}{s}").is_file() for p in pages for s in suffixes):
        engine = PpOcrEngine(threads=1, boundary=None)
    data = {}
    start = time.process_time()
    for page in pages:
        lines, _ = read_cached(engine, page.image_path, args.cache / f"{page.name}.npz")
        candidates = mark_candidates(engine, page.image_path, lines, args.cache / f"{page.name}.marks.json")
        data[page.name] = (lines, read_columns(engine, page, lines, args.cache / f"{page.name}.dots.npz"), candidates)
    log.info("reading: %.0f s CPU", time.process_time() - start)
    rescues = [Rescue()] + [Rescue(t, shape) for shape in ("digits", "amount") for t in (0.05, 0.1, 0.2, 0.3)]
    print_cv_table({r.name(): evaluate(pages, data, models, r) for r in rescues}, base="engine", width=28)

if __name__ == "__main__":
    main()
