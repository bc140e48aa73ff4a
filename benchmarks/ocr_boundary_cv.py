"""A learned word-boundary decision for the ``ppocr`` engine against its spacing rules: 2-fold CV on the SROIE
tuning part (issue 25).

The engine's line readings come from ``benchmarks/ocr_spacing_cv.py``'s cache (every tuning receipt 001-052 read
once; build it with that module first). Labels: each detected line's non-space characters are aligned
(semi-global edit distance, upper case) to the non-space characters of the transcribed lines it covers (boxes
overlapping it by at least half the smaller height, in x order); a pair of neighbouring characters aligned to two
neighbouring transcribed characters is labelled "the transcription has a space between them"; lines aligned with
more than a third of their characters edited and pairs not aligned cleanly are left out. Features:
``vision.ocr.boundary.pair_features``. Each fold's model is trained on the other fold's lines, its words replayed
through ``ppocr.line_words`` with the engine's thresholds, the vocabulary from the other fold and the engine's lone
marks; page-text word F1 per fold and pooled (95 % bootstrap over receipts), and the pooled gain over the rules with
a paired 95 % bootstrap interval. ``--save PATH`` trains the chosen variant on all 50 tuning receipts and writes it.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.ocr_boundary_cv --data ../shared/data/ocr/receipts_sroie \
        --cache runs/ocr_spacing_cv [--trees] [--c 1.0] [--save vision/ocr/boundary_model.json --mode all]
        [--save-folds runs/boundary_folds]
"""
from __future__ import annotations

import argparse
import logging
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.ocr_folds import f1_summary, folds, page_text, paired_gain, tuning_pages
from benchmarks.ocr_spacing_cv import ENGINE, CachedLine, mark_candidates, mark_lines, read_cached
from vision.ocr.boundary import FEATURES, BoundaryModel, LinePairs, pair_features
from vision.ocr.labelled import LabelledPage
from vision.ocr.lexicon import Vocabulary
from vision.ocr.metrics import WordCounts, word_counts, word_f1
from vision.ocr.ppocr import PpOcrEngine, apply_vocabulary, line_words, reading_width
from vision.ocr.tesseract import TesseractWord

log = logging.getLogger("benchmarks.ocr_boundary_cv")
SPACING: dict[str, Any] = {"min_gap": ENGINE.min_gap, "min_ratio": ENGINE.min_ratio, "min_pitches": ENGINE.min_pitches,
                           "digit_pitches": ENGINE.digit_pitches, "number_marks": frozenset(".," + ENGINE.joined_marks)}


def truth_chars(page: LabelledPage, quad: Any) -> tuple[list[str], list[bool]]:
    """The non-space characters (upper case) of the transcribed lines a detected quad covers, in x order, and for
    each whether a space (or the end of a transcribed line) comes before it."""
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    covered = []
    for truth in page.lines:
        tx1, ty1, tx2, ty2 = truth.box
        overlap = min(y2, ty2) - max(y1, ty1)
        if overlap >= 0.5 * min(y2 - y1, ty2 - ty1) and min(x2, tx2) > max(x1, tx1):
            covered.append(truth)
    chars: list[str] = []
    space: list[bool] = []
    for truth in sorted(covered, key=lambda t: t.box[0]):
        before = True
        for c in truth.text.upper():
            if c.isspace():
                before = True
                continue
            chars.append(c)
            space.append(before)
            before = False
    return chars, space


def align(read: list[str], truth: list[str]) -> tuple[list[int | None], int]:
    """Semi-global alignment (free truth prefix and suffix) of read characters to truth characters: the truth index
    each read character is aligned to (match or substitution; None: inserted) and the edit cost.

    >>> align(list("TOTAL:"), list("XXTOTAL:9"))
    ([2, 3, 4, 5, 6, 7], 0)
    """
    n, m = len(read), len(truth)
    cost = np.zeros((n + 1, m + 1), np.int32)
    cost[:, 0] = np.arange(n + 1)
    for i in range(1, n + 1):
        r = read[i - 1]
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + (r != truth[j - 1]), cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    j = int(np.argmin(cost[n]))
    best = int(cost[n, j])
    out: list[int | None] = [None] * n
    i = n
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + (read[i - 1] != truth[j - 1]):
            out[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return out, best


@dataclass
class Line:
    cached: CachedLine
    pairs: LinePairs
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 1 space, 0 none, nan unlabelled


def label_line(cached: CachedLine, page: LabelledPage) -> Line:
    texts = [c.text for c in cached.line.chars]
    width = reading_width(cached.crop)
    pairs = pair_features(texts, [c.centre * width for c in cached.line.chars], cached.crop if width else None,
                          **SPACING)
    labels = np.full(len(pairs.right), np.nan)
    kept = [k for k, t in enumerate(texts) if t.strip()]
    read = [unicodedata.normalize("NFKC", texts[k]).upper() for k in kept]
    truth, space = truth_chars(page, cached.line.quad)
    if read and truth:
        aligned, cost = align(read, truth)
        if cost <= len(read) / 3:
            for j in range(len(pairs.right)):
                a, b = aligned[j], aligned[j + 1]
                if a is not None and b is not None and b == a + 1:
                    labels[j] = float(space[b])
    return Line(cached, pairs, labels)


@dataclass(frozen=True)
class TreeBoundary(BoundaryModel):
    """Research only: a scikit-learn gradient-boosted classifier behind ``BoundaryModel``'s interface."""

    tree: Any = None

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return self.tree.predict_proba(features)[:, 1]


def training_set(lines: list[Line]) -> tuple[np.ndarray, np.ndarray]:
    rows = [(ln.pairs.features[j], ln.labels[j]) for ln in lines for j in range(len(ln.labels))
            if not np.isnan(ln.labels[j])]
    return np.array([r for r, _ in rows]), np.array([y for _, y in rows])


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> BoundaryModel:
    """Logistic regression on standardised features, stored with weights in the features' raw units."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - np.sum(model.coef_[0] * mean / scale))
    return BoundaryModel(weights=tuple(float(w) for w in weights), bias=bias)


def fit_trees(x: np.ndarray, y: np.ndarray) -> BoundaryModel:
    from sklearn.ensemble import HistGradientBoostingClassifier

    tree = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_leaf_nodes=15, random_state=0).fit(x, y)
    return TreeBoundary(weights=(0.0,) * len(FEATURES), bias=0.0, tree=tree)


def page_words(lines: list[CachedLine], candidates: list, vocabulary: Vocabulary | None,
               boundary: BoundaryModel | None) -> list[list[TesseractWord]]:
    """One receipt's lines of words as the engine gives them (``ENGINE`` post-processing, ``boundary`` on top of the
    spacing rules, lone marks)."""
    out = []
    if vocabulary is not None:
        vocabulary = Vocabulary(vocabulary.words, ENGINE.min_substitute)
    for k, cached in enumerate(lines, start=1):
        words = line_words(cached.line, cached.crop, k, boundary=boundary, **SPACING)
        out.append(apply_vocabulary(words, vocabulary, ENGINE.substitute_below) if vocabulary else words)
    return out + mark_lines(candidates, ENGINE, len(out) + 1)


def variants(model: BoundaryModel) -> dict[str, BoundaryModel]:
    return {"all": model, "all p>=0.4": replace(model, threshold=0.4), "all p>=0.6": replace(model, threshold=0.6),
            "punctuation": replace(model, mode="punctuation"),
            "confident 0.2/0.8": replace(model, mode="confident"),
            "confident 0.1/0.9": replace(model, mode="confident", low=0.1, high=0.9),
            "all, read spaces kept": replace(model, keep_read_spaces=True)}


def pair_accuracy(lines: list[Line], boundary: BoundaryModel | None) -> tuple[int, int]:
    right = total = 0
    for ln in lines:
        texts = [c.text for c in ln.cached.line.chars]
        cut = boundary.breaks(ln.pairs, texts) if boundary else {b for b, r in zip(ln.pairs.right, ln.pairs.rule) if r}
        for j, b in enumerate(ln.pairs.right):
            if not np.isnan(ln.labels[j]):
                total += 1
                right += int((b in cut) == bool(ln.labels[j]))
    return right, total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="benchmarks.ocr_spacing_cv's cache folder")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    parser.add_argument("--trees", action="store_true", help="also a gradient-boosted tree (research, scikit-learn)")
    parser.add_argument("--save", type=Path, default=None, help="train on all tuning receipts and write the model")
    parser.add_argument("--mode", default="all", help="the variant --save writes (a key of variants())")
    parser.add_argument("--save-folds", type=Path, default=None,
                        help="write fold0.json / fold1.json, each trained on the other fold (for "
                             "benchmarks.ocr_vocabulary_cv --boundary-folds)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.process_time()
    pages = tuning_pages(args.data, args.limit)
    engine = None
    if not all((args.cache / f"{p.name}{s}").is_file() for p in pages for s in (".npz", ".marks.json")):
        engine = PpOcrEngine(threads=1)
    data: dict[str, tuple[list[Line], list]] = {}
    for page in pages:
        cached, _ = read_cached(engine, page.image_path, args.cache / f"{page.name}.npz")
        candidates = mark_candidates(engine, page.image_path, cached, args.cache / f"{page.name}.marks.json")
        data[page.name] = ([label_line(c, page) for c in cached], candidates)
    n_pairs = sum(len(ln.labels) for lines, _ in data.values() for ln in lines)
    labelled = [ln.labels[~np.isnan(ln.labels)] for lines, _ in data.values() for ln in lines]
    n_lab = sum(len(v) for v in labelled)
    log.info("%d receipts, %d pairs, %d labelled (%d spaces); %.1f s CPU", len(pages), n_pairs, n_lab,
             int(sum(v.sum() for v in labelled)), time.process_time() - start)
    if args.save:
        x, y = training_set([ln for lines, _ in data.values() for ln in lines])
        model = variants(fit_logistic(x, y, args.c))[args.mode]
        args.save.write_text(model.to_json() + "\n", encoding="utf-8")
        log.info("wrote %s (%s, %d pairs)", args.save, args.mode, len(y))
        return
    if args.save_folds:
        args.save_folds.mkdir(parents=True, exist_ok=True)
        for fold in (0, 1):
            x, y = training_set([ln for p in pages if int(p.name) % 2 != fold for ln in data[p.name][0]])
            model = variants(fit_logistic(x, y, args.c))[args.mode]
            (args.save_folds / f"fold{fold}.json").write_text(model.to_json() + "\n", encoding="utf-8")
        log.info("wrote %s/fold0.json, fold1.json (%s)", args.save_folds, args.mode)
        return
    counts: dict[str, tuple[list[WordCounts], list[WordCounts]]] = {}
    accuracy: dict[str, list[tuple[int, int]]] = {}
    for fold, vocabulary, test in folds(pages):
        train = [ln for p in pages if int(p.name) % 2 != fold for ln in data[p.name][0]]
        x, y = training_set(train)
        candidates: dict[str, BoundaryModel | None] = {"rules (engine now)": None}
        candidates |= {f"logistic, {k}": v for k, v in variants(fit_logistic(x, y, args.c)).items()}
        if args.trees:
            candidates |= {f"trees, {k}": v for k, v in variants(fit_trees(x, y)).items()}
        held = [ln for p in test for ln in data[p.name][0]]
        for name, boundary in candidates.items():
            per_page = []
            for p in test:
                lines, candidate_marks = data[p.name]
                words = page_words([ln.cached for ln in lines], candidate_marks, vocabulary, boundary)
                per_page.append(word_counts(p.reference_text.upper(), page_text(words).upper()))
            counts.setdefault(name, ([], []))[fold].extend(per_page)
            accuracy.setdefault(name, []).append(pair_accuracy(held, boundary))
    base = counts["rules (engine now)"]
    print(f"{'variant':28s} {'pooled word F1 (95 %)':52s} {'fold 0':7s} {'fold 1':7s} {'gain (paired 95 %)':24s} "
          "labelled pairs right (fold 0 / 1)")
    for name, (f0, f1) in counts.items():
        gain, low, high = paired_gain(base[0] + base[1], f0 + f1)
        acc = " / ".join(f"{r / t:.4f}" for r, t in accuracy[name])
        print(f"{name:28s} {f1_summary(f0 + f1):52s} {word_f1(f0)[2]:.4f}  {word_f1(f1)[2]:.4f}  "
              f"{gain:+.4f} ({low:+.4f} {high:+.4f})   {acc}")
    # nested choice among the rules and the logistic variants: each fold scored with the one best on the other fold
    shippable = [k for k in counts if not k.startswith("trees")]
    chosen = [max(shippable, key=lambda k: word_f1(counts[k][1 - fold])[2]) for fold in (0, 1)]
    nested = counts[chosen[0]][0] + counts[chosen[1]][1]
    print(f"chosen by the other fold: fold 0 <- {chosen[0]}, fold 1 <- {chosen[1]}: {f1_summary(nested)} "
          f"(fold 0 {word_f1(counts[chosen[0]][0])[2]:.4f}, fold 1 {word_f1(counts[chosen[1]][1])[2]:.4f})")
    print(f"CPU {time.process_time() - start:.1f} s")


if __name__ == "__main__":
    main()
