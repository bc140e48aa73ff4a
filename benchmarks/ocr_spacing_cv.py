"""Re-tune the ``ppocr`` engine's post-processing for its recogniser: 2-fold CV on the SROIE tuning part.

Every tuning receipt (001-052) is read once by the engine (detector + recogniser, lone marks); per detected line
the quad, the decoded characters (text, centre, probability) and the greyscale line crop are cached (``.npz``
per receipt). The post-processing is then replayed offline for each setting of a grid: printed spaces
(``spacing.ink_gaps`` / ``word_spans`` thresholds, a shift of the CTC character centres), the receipt
vocabulary's substitution rule, a confidence floor on words. Scoring as ``benchmarks/ocr_vocabulary_cv.py``:
page-text word F1 with the vocabulary built from the *other* fold (odd / even file numbers), per fold and pooled
(95 % bootstrap over receipts). ``--misses`` classifies the missed words of the default setting per transcribed
line (misread, spacing only, unread line, vocabulary damage).

    .venv/bin/python -m benchmarks.ocr_spacing_cv --data ../shared/data/ocr/receipts_sroie \
        --cache runs/ocr_spacing_cv [--grid final|first|second|third|fourth|fifth|marks|floors] [--misses] [--limit N]

Issue 25 (PP-OCRv6 small): the post-processing tuned for PP-OCRv4 scores 0.882 (0.883 / 0.881 per fold), the
engine's re-tuned one 0.898 (0.898 / 0.898); ``--grid final`` prints both and each change alone and undone. These
are the spacing rules alone: the engine now also applies a learned word-boundary model on top of them
(``PpOcrEngine(boundary=...)``), cross-validated on this cache by ``benchmarks/ocr_boundary_cv.py``.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from benchmarks.ocr_folds import f1_summary, folds, page_text, tuning_pages
from core.images import load_image
from vision.ocr.lexicon import MIN_SUBSTITUTE, Vocabulary
from vision.ocr.metrics import WordCounts, word_counts, word_f1
from vision.ocr.ppocr import (
    DIGIT_PITCHES,
    MARK_CONFIDENCE,
    MARK_MIN_HEIGHT,
    MARKS,
    MIN_GAP,
    MIN_GAP_RATIO,
    MIN_PITCHES,
    SUBSTITUTE_BELOW,
    PpLine,
    PpOcrEngine,
    Scaled,
    apply_vocabulary,
    crop_quad,
)
from vision.ocr.recognisers import CtcChar
from vision.ocr.spacing import NUMBER_MARKS
from vision.ocr.tesseract import TesseractWord

log = logging.getLogger("benchmarks.ocr_spacing_cv")


@dataclass(frozen=True)
class CachedLine:
    line: PpLine
    crop: np.ndarray


def read_cached(engine: PpOcrEngine | None, image: Path, cache: Path) -> tuple[list[CachedLine], list[TesseractWord]]:
    """One receipt's detected lines (with crops) and lone marks, read once and cached."""
    if not cache.is_file():
        import cv2

        assert engine is not None
        rgb = np.asarray(load_image(image))
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        lines = engine.read(rgb)
        marks = engine.lone_marks(rgb, grey, [line.quad for line in lines], first_line=len(lines) + 1)
        meta = {"lines": [{"quad": line.quad, "text": line.text, "confidence": line.confidence,
                           "chars": [[c.text, c.centre, c.confidence] for c in line.chars]} for line in lines],
                "marks": [[m.text, list(m.box), m.confidence, m.line] for m in marks]}
        crops = {f"c{k}": crop_quad(grey, line.quad) for k, line in enumerate(lines)}
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, meta=np.array(json.dumps(meta)), **crops)
    data = np.load(cache)
    meta = json.loads(str(data["meta"]))
    out = []
    for k, row in enumerate(meta["lines"]):
        chars = tuple(CtcChar(t, c, p) for t, c, p in row["chars"])
        quad = tuple(tuple(p) for p in row["quad"])
        out.append(CachedLine(PpLine(quad, row["text"], row["confidence"], chars), data[f"c{k}"]))  # type: ignore[arg-type]
    marks = [TesseractWord(t, tuple(b), c, 1, 1, n) for t, b, c, n in meta["marks"]]  # type: ignore[arg-type]
    return out, marks


def redetect(engine: PpOcrEngine, image: Path, lines: list[CachedLine]
             ) -> tuple[np.ndarray, Scaled, list[np.ndarray], list[np.ndarray], list[int]]:
    """A receipt detected again as the engine did: the RGB page, its scaled page, the line boxes and crops, and for
    each cached line (the detected lines read as non-blank, in the detector's order) the index of its crop,
    matched by quad."""
    rgb = np.asarray(load_image(image))
    scaled = engine.scale(rgb)
    boxes = engine.boxes(engine.probability_map(scaled), scaled)
    quads, crops = engine.line_crops(rgb, scaled, boxes)
    index = {tuple(np.round(q, 2).ravel()): k for k, q in enumerate(quads)}
    order = [index[tuple(np.round(np.asarray(c.line.quad, np.float32), 2).ravel())] for c in lines]
    return rgb, scaled, boxes, crops, order


def mark_candidates(engine: PpOcrEngine | None, image: Path, lines: list[CachedLine],
                    cache: Path) -> list[tuple[str, float, list[float], float]]:
    """Every lone-mark group's reading before ``PpOcrEngine.lone_marks`` filters them: text, probability, box and
    height as a fraction of the median line height (the engine's crops, no filter but the size floor), cached."""
    if not cache.is_file():
        import unicodedata

        import cv2

        from vision.ocr.blobs import median_line_height, unboxed_groups

        assert engine is not None
        rgb = np.asarray(load_image(image))
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        quads = [c.line.quad for c in lines]
        height = median_line_height(quads)
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        crops, kept = [], []
        for x1, y1, x2, y2 in unboxed_groups(grey, quads):
            middle, half = (y1 + y2) / 2, max(0.5 * height, (y2 - y1) / 2 + 0.1 * height)
            top, bottom = int(max(0, middle - half)), int(min(grey.shape[0], middle + half))
            left, right = int(max(0, x1 - 0.3 * height)), int(min(grey.shape[1], x2 + 0.3 * height))
            crops.append(np.ascontiguousarray(bgr[top:bottom, left:right]))
            kept.append(([float(x1), float(y1), float(x2), float(y2)], (y2 - y1) / max(1e-6, height)))
        readings = engine.recogniser.recognise(crops) if crops else []
        rows = [(unicodedata.normalize("NFKC", text).strip(), conf, box, rel)
                for (box, rel), (text, conf, _) in zip(kept, readings)]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(rows), encoding="utf-8")
    return [tuple(r) for r in json.loads(cache.read_text(encoding="utf-8"))]  # type: ignore[misc]


@dataclass(frozen=True)
class Setting:
    """One point of the grid. The defaults are the post-processing as tuned for PP-OCRv4 (issues 25r-25t), the
    engine's until this re-tuning; ``ENGINE`` below is the engine's now."""

    min_gap: float = 0.3
    min_ratio: float = 2.5
    min_pitches: float = 2.0
    digit_pitches: float = 0.0  # no blank-gap break between two digits closer than this many pitches
    joined_marks: str = ""  # marks never cut out of a number besides ``.`` and ``,`` (``:`` of ``21:28``)
    min_substitute: int = 5  # 0: no substitution
    substitute_below: float = 2.0  # vocabulary substitution only for words below this mean probability
    shift: float = 0.0  # character centres moved by this many median pitches (CTC peak offset)
    floor: float = 0.0  # words below this mean probability dropped
    marks: bool = True
    colon_pitches: float = 0.0  # also a break beside a ``:`` this many pitches from its neighbour
    char_floor: float = 0.0  # characters below this probability dropped before the spacing
    punct_floor: float = 0.0  # punctuation characters (``'".,-``) below this probability dropped
    zero_letters: str = ""  # letters read for a zero in an amount (``6.0C``, ``0.4Q``)
    decimal_gap: bool = False  # a line's last two words ``58`` ``30`` joined as ``58.30``
    mark_set: str = ":1X*"  # lone marks kept: these one-character readings of the candidates
    mark_confidence: float = 0.5
    mark_height: float = 0.3
    indel: bool = False  # substitution also to the one vocabulary word one insertion / deletion away

    def name(self) -> str:
        default = Setting()
        changed = [f"{k}={v}" for k, v in vars(self).items() if getattr(default, k) != v]
        return ",".join(changed) or "PP-OCRv4 tuning (before)"


ENGINE = Setting(min_gap=MIN_GAP, min_ratio=MIN_GAP_RATIO, min_pitches=MIN_PITCHES, digit_pitches=DIGIT_PITCHES,
                 joined_marks="".join(sorted(NUMBER_MARKS - {".", ","})), min_substitute=MIN_SUBSTITUTE,
                 substitute_below=SUBSTITUTE_BELOW, mark_set="".join(sorted(MARKS)), mark_confidence=MARK_CONFIDENCE,
                 mark_height=MARK_MIN_HEIGHT)


def line_words(cached: CachedLine, number: int, s: Setting) -> list[TesseractWord]:
    """``ppocr.line_words`` with the setting's thresholds (the engine's code path, parameters exposed)."""
    import vision.ocr.ppocr as pp

    line = cached.line
    if s.shift and len(line.chars) > 2:
        centres = [c.centre for c in line.chars]
        pitch = float(np.median(np.diff(centres)))
        line = replace(line, chars=tuple(replace(c, centre=min(1.0, max(0.0, c.centre + s.shift * pitch)))
                                         for c in line.chars))
    if s.char_floor or s.punct_floor:
        line = replace(line, chars=tuple(c for c in line.chars if c.confidence >= s.char_floor
                                         and (c.text not in "'\".,-`" or c.confidence >= s.punct_floor)))
        if not line.chars:
            return []
    spacing = (s.min_gap, s.min_pitches, s.min_ratio, s.digit_pitches, frozenset(".," + s.joined_marks))
    if s.colon_pitches > 0:  # the one variant that changes how spans are cut: the engine's spans, then colons
        engine_spans = pp.word_spans

        def spans(t: list[str], c: list[float], g: list[tuple[int, int]], m: float, d: float,
                  n: frozenset[str]) -> list[tuple[int, int]]:
            return _split_colons(t, c, engine_spans(t, c, g, m, d, n), s.colon_pitches, s.joined_marks)

        pp.word_spans = spans  # type: ignore[assignment]
        try:
            words = pp.line_words(line, cached.crop, number, *spacing)
        finally:
            pp.word_spans = engine_spans
    else:
        words = pp.line_words(line, cached.crop, number, *spacing)
    words = [w for w in words if w.confidence >= s.floor]
    if s.zero_letters:
        words = [replace(w, text=_zeros(w.text, s.zero_letters)) for w in words]
    if s.decimal_gap and len(words) >= 2 and re.fullmatch(r"\d{1,4}", words[-2].text) and re.fullmatch(r"\d\d", words[-1].text):
        a, b = words[-2], words[-1]
        words = [*words[:-2], replace(a, text=f"{a.text}.{b.text}", box=(a.box[0], min(a.box[1], b.box[1]),
                                                                         b.box[2], max(a.box[3], b.box[3])))]
    return words


def _zeros(word: str, letters: str) -> str:
    """``word`` with ``letters`` read as zeros when the result is an amount (``6.0C`` -> ``6.00``)."""
    if not any(c in letters for c in word):
        return word
    candidate = "".join("0" if c in letters else c for c in word)
    return candidate if re.fullmatch(r"-?\d+[.,]\d\d", candidate) else word


def _pitch(texts: list[str], centres: list[float]) -> float:
    kept = [centres[k] for k, t in enumerate(texts) if t.strip()]
    return float(np.median([b - a for a, b in pairwise(kept) if b > a] or [0.0])) if len(kept) > 2 else 0.0


def _split_colons(texts: list[str], centres: list[float], spans: list[tuple[int, int]], pitches: float,
                  joined: str) -> list[tuple[int, int]]:
    """Word spans also cut beside a ``:`` whose neighbour stands ``pitches`` median pitches away (``TOTAL :``),
    never between digits when ``:`` joins numbers (``21:28``)."""
    pitch = _pitch(texts, centres)
    if pitch <= 0:
        return spans
    out: list[tuple[int, int]] = []
    for start, end in spans:
        cut = start
        for k in range(start + 1, end):
            if ":" not in (texts[k - 1], texts[k]) or centres[k] - centres[k - 1] < pitches * pitch:
                continue
            if ":" in joined and k - 2 >= start and k + 1 < end and (
                    (texts[k] == ":" and texts[k - 1].isdigit() and texts[k + 1].isdigit())
                    or (texts[k - 1] == ":" and texts[k - 2].isdigit() and texts[k].isdigit())):
                continue
            out.append((cut, k))
            cut = k
        out.append((cut, end))
    return out


class IndelVocabulary(Vocabulary):
    """``Vocabulary`` whose substitution also reaches words one character longer or shorter (``ADJUSTMEN``)."""

    def substitute(self, word: str) -> str:
        upper = word.upper()
        if len(upper) < self.min_substitute or upper in self.words or not any(c.isalpha() for c in upper):
            return word
        found = {w for i in range(len(upper)) for w in self._one_off.get(upper[:i] + "\0" + upper[i + 1:], ())}
        found |= {upper[:i] + upper[i + 1:] for i in range(len(upper))} & self.words
        found |= set(self._longer.get(upper, ()))
        found = {w for w in found if len(w) >= self.min_substitute}
        if len(found) != 1:
            return word
        (best,) = found
        return best.lower() if word.islower() else best

    @property
    def _longer(self) -> dict[str, tuple[str, ...]]:
        cache = self.__dict__.get("_longer_cache")
        if cache is None:
            index: dict[str, list[str]] = {}
            for w in self.words:
                for i in range(len(w)):
                    index.setdefault(w[:i] + w[i + 1:], []).append(w)
            cache = {k: tuple(v) for k, v in index.items()}
            self.__dict__["_longer_cache"] = cache
        return cache


def mark_lines(candidates: list, s: Setting, first_line: int) -> list[list[TesseractWord]]:
    """The lone-mark candidates kept by the setting (``PpOcrEngine.lone_marks``'s filter), one line each."""
    kept = [(text, conf, box) for text, conf, box, rel in candidates
            if len(text) == 1 and text in s.mark_set and conf >= s.mark_confidence and rel >= s.mark_height]
    return [[TesseractWord(text, tuple(box), conf, 1, 1, first_line + k)]  # type: ignore[arg-type]
            for k, (text, conf, box) in enumerate(kept)]


def page_lines(lines: list[CachedLine], marks: list[TesseractWord], s: Setting,
               vocabulary: Vocabulary | None, candidates: list | None = None) -> list[list[TesseractWord]]:
    out = []
    if vocabulary is not None:  # this setting's substitution (0: none)
        vocabulary = (IndelVocabulary if s.indel else Vocabulary)(vocabulary.words, s.min_substitute or 10_000)
    for k, cached in enumerate(lines, start=1):
        words = line_words(cached, k, s)
        out.append(apply_vocabulary(words, vocabulary, s.substitute_below) if vocabulary else words)
    if s.marks:
        out += mark_lines(candidates or [], s, len(out) + 1)
    return out


def evaluate(pages: list, data: dict, s: Setting) -> tuple[list[WordCounts], list[WordCounts]]:
    counts: tuple[list[WordCounts], list[WordCounts]] = ([], [])
    for fold, vocabulary, test in folds(pages):
        for page in test:
            lines, marks, candidates = data[page.name]
            text = page_text(page_lines(lines, marks, s, vocabulary, candidates))
            counts[fold].append(word_counts(page.reference_text.upper(), text.upper()))
    return counts


MISS_CLASSES = ("unread line", "vocabulary damage", "spacing: punctuation", "spacing: glued or split words",
                "misread characters")
_PUNCTUATION = frozenset(":;.,-()/@%*#=&'\"[]")


def classify_misses(page, plain: list[list[TesseractWord]], corrected: list[list[TesseractWord]]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Missed transcribed words of one page by cause, per transcribed line (the words read whose box centre lies in
    the line's box; each read word counts for one line only, as ``labelled_eval.line_scores``):
    no word read there; read right without the vocabulary but not with it; the characters of the word are read
    inside the line but the spaces differ, around punctuation only (``TOTAL:`` for ``TOTAL :``) or between letters
    and digits (``GSTSUMMARY``, ``25/1 2``); otherwise misread characters."""
    from collections import Counter

    def inside(lines: list[list[TesseractWord]]) -> list[list[str]]:
        words = [w for line in lines for w in line]
        used = [False] * len(words)
        out = []
        for truth in page.lines:
            x1, y1, x2, y2 = truth.box
            got = []
            for k, w in enumerate(words):
                cx, cy = (w.box[0] + w.box[2]) / 2, (w.box[1] + w.box[3]) / 2
                if not used[k] and x1 <= cx <= x2 and y1 <= cy <= y2:
                    used[k] = True
                    got.append(w.text.upper())
            out.append(got)
        return out

    counts: Counter[str] = Counter()
    for truth, read, raw in zip(page.lines, inside(corrected), inside(plain)):
        missing = Counter(truth.text.upper().split()) - Counter(read)
        raw_missing = Counter(truth.text.upper().split()) - Counter(raw)
        joined = "".join(read)
        for word, n in missing.items():
            if not read and not raw:
                kind = "unread line"
            elif raw_missing[word] < n:
                kind = "vocabulary damage"
            elif word in joined:
                bare = word.strip("".join(_PUNCTUATION))
                kind = ("spacing: punctuation" if bare in read or any(bare == r.strip("".join(_PUNCTUATION)) for r in read)
                        or not bare else "spacing: glued or split words")
            else:
                kind = "misread characters"
            counts[kind] += n
    return dict(counts)


def misses(pages: list, data: dict, s: Setting) -> None:
    from collections import Counter

    total: Counter[str] = Counter()
    per_fold: list[Counter[str]] = [Counter(), Counter()]
    for fold, vocabulary, test in folds(pages):
        for page in test:
            lines, marks, candidates = data[page.name]
            found = classify_misses(page, page_lines(lines, marks, s, None, candidates),
                                    page_lines(lines, marks, s, vocabulary, candidates))
            per_fold[fold].update(found)
            total.update(found)
    counts = [c for fold in evaluate(pages, data, s) for c in fold]
    log.info("setting %s: %d of %d transcribed words matched, %d words read (%d not in the transcription)", s.name(),
             sum(c.matched for c in counts), sum(c.n_reference for c in counts), sum(c.n_predicted for c in counts),
             sum(c.n_predicted - c.matched for c in counts))
    log.info("missed transcribed words by line box: %d (fold 0: %d, fold 1: %d)", sum(total.values()),
             sum(per_fold[0].values()), sum(per_fold[1].values()))
    for kind in MISS_CLASSES:
        log.info("  %-32s %4d  (fold 0: %d, fold 1: %d)", kind, total[kind], per_fold[0][kind], per_fold[1][kind])


def grid_fifth() -> list[Setting]:
    full = Setting(min_gap=0.35, min_ratio=3.0, min_pitches=2.5, substitute_below=0.98, min_substitute=4,
                   joined_marks=":", digit_pitches=1.4)
    out = [Setting(), full]
    out += [replace(full, min_gap=g) for g in (0.3, 0.4)]
    out += [replace(full, min_ratio=r) for r in (2.5, 3.5)]
    out += [replace(full, min_pitches=p) for p in (2.0, 3.0, 0.0)]
    out += [replace(full, substitute_below=2.0), replace(full, min_substitute=5), replace(full, joined_marks=""),
            replace(full, digit_pitches=0.0)]
    out += [replace(full, mark_set=":1X*")]
    out += [replace(full, mark_set=":1X*", mark_confidence=c) for c in (0.3, 0.7, 0.9)]
    out += [replace(full, mark_set=":1X*", mark_height=h) for h in (0.2, 0.4, 0.5)]
    out += [replace(full, mark_set=m) for m in (":1X*-", ":1X*.", ":", ":1", ":1X*-.=#")]
    return out


def grid_marks() -> list[Setting]:
    """Lone marks re-tuned on top of the engine's spacing and vocabulary."""
    return [replace(ENGINE, mark_set=m, mark_confidence=c) for m in (":1X*", ":X*", ":*", ":X", ":")
            for c in (0.5, 0.7, 0.8, 0.9)]


def grid_floors() -> list[Setting]:
    """A word confidence floor on top of the engine's post-processing."""
    return [ENGINE, *[replace(ENGINE, floor=f) for f in (0.5, 0.6, 0.7, 0.8, 0.9)]]


def grid_final() -> list[Setting]:
    """The post-processing before, the engine's now, each change of the engine alone on top of before, and the
    engine with each change undone."""
    before = Setting()
    changes = {"spacing": {"min_gap": ENGINE.min_gap, "min_ratio": ENGINE.min_ratio, "min_pitches": ENGINE.min_pitches},
               "digits": {"digit_pitches": ENGINE.digit_pitches}, "colon": {"joined_marks": ENGINE.joined_marks},
               "marks": {"mark_set": ENGINE.mark_set},
               "substitution": {"min_substitute": ENGINE.min_substitute, "substitute_below": ENGINE.substitute_below}}
    undo = {k: {f: getattr(before, f) for f in v} for k, v in changes.items()}
    return [before, ENGINE, *[replace(before, **v) for v in changes.values()], *[replace(ENGINE, **v) for v in undo.values()]]


def grid_fourth() -> list[Setting]:
    base = Setting(min_gap=0.35, min_ratio=3.0, min_pitches=2.5, substitute_below=0.98)
    out = [Setting(), base]
    out += [replace(base, substitute_below=t) for t in (0.97, 0.99, 0.995, 0.999)]
    out += [replace(base, min_substitute=m) for m in (4, 6)]
    out += [replace(base, min_substitute=m, substitute_below=0.95) for m in (3, 4)]
    out += [replace(base, indel=True), replace(base, indel=True, min_substitute=6),
            replace(base, indel=True, substitute_below=0.95)]
    out += [replace(base, joined_marks=":"), replace(base, digit_pitches=1.4),
            replace(base, digit_pitches=1.4, joined_marks=":")]
    out += [replace(base, zero_letters="C"), replace(base, zero_letters="CDQ"), replace(base, decimal_gap=True)]
    return out


def grid_third() -> list[Setting]:
    base = Setting(min_gap=0.35, min_ratio=3.0, min_pitches=2.5)
    out = [Setting(), base]
    for b in (Setting(), base):
        out += [replace(b, substitute_below=t) for t in (0.8, 0.9, 0.95, 0.98)]
        out += [replace(b, colon_pitches=t) for t in (1.3, 1.5, 1.7)]
        out += [replace(b, char_floor=t) for t in (0.2, 0.3, 0.4)]
        out += [replace(b, punct_floor=t) for t in (0.5, 0.7, 0.9)]
    out += [replace(base, digit_pitches=1.4), replace(base, joined_marks=":"),
            replace(base, digit_pitches=1.4, joined_marks=":")]
    return out


def grid_second() -> list[Setting]:
    out = [Setting()]
    out += [Setting(min_gap=g, min_ratio=r, min_pitches=p) for g in (0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
            for r in (2.5, 3.0, 3.5, 4.0) for p in (2.0, 2.5)]
    out += [Setting(digit_pitches=d) for d in (1.2, 1.4, 1.6, 1.8)]
    out += [Setting(joined_marks=m) for m in (":", "/", ":/")]
    out += [Setting(floor=f) for f in (0.6, 0.7, 0.8)]
    return out


def grid_first() -> list[Setting]:
    out = [Setting()]
    out += [Setting(min_gap=g) for g in (0.2, 0.25, 0.35, 0.4)]
    out += [Setting(min_ratio=r) for r in (1.5, 2.0, 3.0, 3.5)]
    out += [Setting(min_pitches=p) for p in (0.0, 1.5, 1.75, 2.25, 2.5)]
    out += [Setting(shift=x) for x in (-0.3, -0.15, 0.15, 0.3)]
    out += [Setting(min_substitute=m) for m in (0, 4, 6)]
    out += [Setting(floor=f) for f in (0.3, 0.5, 0.7)]
    out += [Setting(marks=False)]
    return out


GRIDS: dict[str, Callable[[], list[Setting]]] = {"first": grid_first, "second": grid_second, "third": grid_third, "fourth": grid_fourth,
              "fifth": grid_fifth, "marks": grid_marks, "floors": grid_floors,
                                                   "final": grid_final}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--read-only", action="store_true", help="only fill the cache")
    parser.add_argument("--misses", action="store_true", help="classify the missed words, before and now")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="final",
                        help="settings to score: first (one change at a time), second (spacing grid), third and "
                             "fourth (vocabulary gate, floors, colons), fifth (around the choice, lone marks), marks (lone marks on top of the engine's spacing), floors (word confidence floors on top of the engine), "
                             "final (before / now / each change)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pages = tuning_pages(args.data, args.limit)
    engine = None
    if not all((args.cache / f"{p.name}{suffix}").is_file() for p in pages for suffix in (".npz", ".marks.json")):
        engine = PpOcrEngine(threads=1)
    data = {}
    for n, page in enumerate(pages):
        start = time.process_time()
        lines, marks = read_cached(engine, page.image_path, args.cache / f"{page.name}.npz")
        candidates = mark_candidates(engine, page.image_path, lines, args.cache / f"{page.name}.marks.json")
        data[page.name] = (lines, marks, candidates)
        log.info("%s (%d/%d) %.1f s CPU", page.name, n + 1, len(pages), time.process_time() - start)
    if args.read_only:
        return
    if args.misses:
        misses(pages, data, Setting())
        misses(pages, data, ENGINE)
        return
    log.info("%-40s %-36s %-7s %-7s", "setting", "pooled word F1 (95 %)", "fold 0", "fold 1")
    scores = {}
    for s in GRIDS[args.grid]():
        f0, f1 = evaluate(pages, data, s)
        scores[s] = (f0, f1)
        log.info("%-40s %-36s %.4f  %.4f", s.name(), f1_summary(f0 + f1), word_f1(f0)[2], word_f1(f1)[2])
    # nested choice: each fold scored with the setting best on the other fold
    chosen = [max(scores, key=lambda s: word_f1(scores[s][1 - fold])[2]) for fold in (0, 1)]
    log.info("chosen by CV: fold 0 <- %s, fold 1 <- %s: %s (fold 0 %.4f, fold 1 %.4f)", chosen[0].name(),
             chosen[1].name(), f1_summary(scores[chosen[0]][0] + scores[chosen[1]][1]),
             word_f1(scores[chosen[0]][0])[2], word_f1(scores[chosen[1]][1])[2])


if __name__ == "__main__":
    main()
