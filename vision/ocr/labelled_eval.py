"""Evaluation on real labelled documents: page-text word F1, line CER/WER after box matching, page CER, key fields.

Every reader (our engine, plain ``easyocr.readtext``, Tesseract) produces lines with boxes; each
is scored the same way:

- **word F1** of the page text against the transcription: whitespace words matched as multisets
  (order-free, so it measures recognition, not layout). SROIE transcriptions are upper-case, so
  SROIE words are compared after upper-casing both sides.
- **line CER/WER**: each transcribed line box takes the predicted words whose centre lies in it
  (in reading order); edit distance summed over lines / reference characters (or words).
- **page CER** (page + transcription pairs): edit distance of the whole page text after reading
  order, whitespace collapsed.
- **key fields** (when the folder has key JSON): exact match per field after the normalisation
  of ``vision.ocr.fields.same_value``; the extractor (learned by default, or the rules) is the caller's.

Intervals: bootstrap over pages for F1/CER/WER, Wilson for field exact-match rates.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.schemas import Metrics
from core.stats import bootstrap_interval, wilson_interval
from vision.ocr.labelled import KEY_FIELDS, LabelledPage, LabelledSet
from vision.ocr.metrics import (
    WordCounts,
    character_error_rate,
    edit_distance,
    normalise_text,
    word_counts,
    word_f1,
)

log = logging.getLogger(__name__)

Xyxy = tuple[float, float, float, float]


@dataclass(frozen=True)
class ReadLine:
    """A line a reader returned: text, box and its words (text, box) in reading order."""

    text: str
    box: Xyxy
    words: tuple[tuple[str, Xyxy], ...]


@dataclass
class PageReading:
    """What one reader returned for one page."""

    lines: list[ReadLine]
    text: str

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "lines": [
            {"text": ln.text, "box": ln.box, "words": [[t, b] for t, b in ln.words]} for ln in self.lines]})

    @classmethod
    def from_json(cls, raw: str) -> PageReading:
        data = json.loads(raw)
        lines = [ReadLine(ln["text"], tuple(ln["box"]), tuple((t, tuple(b)) for t, b in ln["words"]))  # type: ignore[arg-type]
                 for ln in data["lines"]]
        return cls(lines=lines, text=data["text"])


Reader = Callable[[LabelledPage], PageReading]


@dataclass
class PageScore:
    """Scores of one page for one reader."""

    words: WordCounts
    line_edits: int = 0
    line_chars: int = 0
    line_word_edits: int = 0
    line_words: int = 0
    page_cer: float | None = None
    fields: dict[str, bool] = field(default_factory=dict)


def line_scores(page: LabelledPage, reading: PageReading, upper: bool) -> tuple[int, int, int, int]:
    """Edit distances (characters, words) of each transcribed line against the predicted words inside its box."""
    words = [(text, box) for line in reading.lines for text, box in line.words]
    centres = np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for _, b in words]) if words else np.zeros((0, 2))
    used = np.zeros(len(words), dtype=bool)
    char_edits = chars = word_edits = n_words = 0
    for truth in page.lines:
        x1, y1, x2, y2 = truth.box
        inside = ((centres[:, 0] >= x1) & (centres[:, 0] <= x2) & (centres[:, 1] >= y1) & (centres[:, 1] <= y2)
                  & ~used) if len(words) else np.zeros(0, dtype=bool)
        used |= inside
        hypothesis = " ".join(words[k][0] for k in np.flatnonzero(inside))
        reference = truth.text
        if upper:
            reference, hypothesis = reference.upper(), hypothesis.upper()
        ref_n, hyp_n = normalise_text(reference), normalise_text(hypothesis)
        char_edits += edit_distance(ref_n, hyp_n)
        chars += len(ref_n)
        word_edits += edit_distance(reference.split(), hypothesis.split())
        n_words += len(reference.split())
    return char_edits, chars, word_edits, n_words


def score_page(page: LabelledPage, reading: PageReading, upper: bool,
               fields: dict[str, str | None] | None = None) -> PageScore:
    reference, hypothesis = page.reference_text, reading.text
    if upper:
        reference, hypothesis = reference.upper(), hypothesis.upper()
    score = PageScore(words=word_counts(reference, hypothesis))
    if page.lines:
        score.line_edits, score.line_chars, score.line_word_edits, score.line_words = line_scores(page, reading, upper)
    if page.text:
        score.page_cer = character_error_rate(page.text, reading.text)
    if fields is not None and page.key:
        from vision.ocr.fields import same_value

        for name in KEY_FIELDS:
            if name in page.key:
                score.fields[name] = same_value(name, page.key[name], fields.get(name))
    return score


def _f1(scores: Sequence[PageScore]) -> float:
    return word_f1([s.words for s in scores])[2]


def _line_cer(scores: Sequence[PageScore]) -> float:
    return sum(s.line_edits for s in scores) / max(1, sum(s.line_chars for s in scores))


def _line_wer(scores: Sequence[PageScore]) -> float:
    return sum(s.line_word_edits for s in scores) / max(1, sum(s.line_words for s in scores))


def _page_cer(scores: Sequence[PageScore]) -> float:
    values = [s.page_cer for s in scores if s.page_cer is not None]
    return float(np.mean(values)) if values else float("nan")


def summarise(scores: Sequence[PageScore], with_intervals: bool = True) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Values and 95 % intervals of one reader's page scores."""
    precision, recall, f1 = word_f1([s.words for s in scores])
    values = {"word_f1": f1, "word_precision": precision, "word_recall": recall}
    stats: dict[str, Callable[[list[PageScore]], float]] = {"word_f1": _f1}
    if any(s.line_chars for s in scores):
        values.update(line_cer=_line_cer(scores), line_wer=_line_wer(scores))
        stats.update(line_cer=_line_cer, line_wer=_line_wer)
    if any(s.page_cer is not None for s in scores):
        values["page_cer"] = _page_cer(scores)
        stats["page_cer"] = _page_cer
    intervals: dict[str, tuple[float, float]] = {}
    if with_intervals:
        for name, statistic in stats.items():
            intervals[name] = bootstrap_interval(statistic, list(scores), n_resamples=1000)
    fielded = [s for s in scores if s.fields]
    if fielded:
        rates = []
        for name in KEY_FIELDS:
            outcomes = [s.fields[name] for s in fielded if name in s.fields]
            if outcomes:
                values[f"field_exact[{name}]"] = sum(outcomes) / len(outcomes)
                intervals[f"field_exact[{name}]"] = wilson_interval(sum(outcomes), len(outcomes))
                rates.append(values[f"field_exact[{name}]"])
        values["field_exact_mean"] = float(np.mean(rates))
        n_all = sum(len(s.fields) for s in fielded)
        intervals["field_exact_mean"] = wilson_interval(sum(sum(s.fields.values()) for s in fielded), n_all)
    return values, intervals


def evaluate_labelled(data: LabelledSet, readers: dict[str, Reader], main: str,
                      extract: Callable[[PageReading], dict[str, str | None]] | None = None,
                      cache_dir: Path | None = None, progress: Callable[[int], None] | None = None) -> Metrics:
    """Score every reader on every page; ``main`` names the reader whose values head the Metrics.

    With ``cache_dir`` each reading is kept as ``<cache_dir>/<reader>/<page>.json`` and reused on a
    later run (a long CPU evaluation survives interruption; extraction rules can be re-scored).
    """
    upper = data.format == "sroie"
    per_reader: dict[str, list[PageScore]] = {name: [] for name in readers}
    rows: list[dict[str, object]] = []
    for page in data.pages:
        row: dict[str, object] = {"name": page.name}
        for name, read in readers.items():
            reading = _cached(cache_dir, name, page, read)
            fields = extract(reading) if extract is not None and page.key else None
            score = score_page(page, reading, upper, fields)
            per_reader[name].append(score)
            row[name] = {"word_f1": word_f1([score.words])[2], "fields": score.fields,
                         "extracted": fields or {}}
        rows.append(row)
        if progress:
            progress(1)
    values, intervals = summarise(per_reader[main])
    baselines = {name: summarise(scores, with_intervals=False)[0]
                 for name, scores in per_reader.items() if name != main}
    return Metrics(task="ocr", dataset=f"{data.name} ({data.format})", n_samples=len(data.pages), values=values,
                   intervals=intervals, origin="labelled", baselines=baselines, details={"pages": rows})


def _cached(cache_dir: Path | None, reader: str, page: LabelledPage, read: Reader) -> PageReading:
    if cache_dir is None:
        return read(page)
    path = cache_dir / reader / f"{page.name}.json"
    if path.is_file():
        return PageReading.from_json(path.read_text(encoding="utf-8"))
    reading = read(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(reading.to_json(), encoding="utf-8")
    return reading


def reading_of_result(result) -> PageReading:  # type: ignore[no-untyped-def]
    """A ``PageReading`` from an ``OcrResult``."""
    lines = [ReadLine(line.text, (line.box.x1, line.box.y1, line.box.x2, line.box.y2),
                      tuple((w.text, (w.box.x1, w.box.y1, w.box.x2, w.box.y2)) for w in line.words))
             for line in result.lines]
    return PageReading(lines=lines, text=result.text)


def reading_of_readtext(items: Sequence) -> PageReading:
    """A ``PageReading`` from plain ``easyocr.Reader.readtext`` output, in the order easyocr returns it.

    Each readtext region is one line; its words share the region's box split evenly by characters.
    """
    lines = []
    for points, text, _conf in items:
        xs = [float(p[0]) for p in points]
        ys = [float(p[1]) for p in points]
        box = (min(xs), min(ys), max(xs), max(ys))
        tokens = str(text).split()
        total = max(1, sum(len(t) + 1 for t in tokens))
        words, at = [], box[0]
        for token in tokens:
            width = (box[2] - box[0]) * (len(token) + 1) / total
            words.append((token, (at, box[1], at + width, box[3])))
            at += width
        lines.append(ReadLine(str(text), box, tuple(words)))
    return PageReading(lines=lines, text="\n".join(line.text for line in lines))


def evaluate_reader_on(reader: Any, data: LabelledSet) -> Metrics:
    """One reader (its own engine and options) on an outside labelled set, key fields with the bundled
    receipt extractor (learned, rules as fallback) where the set has key files: what ``OcrReader.evaluate``
    and ``ais bench --data ocr=PATH`` run."""
    from core.images import load_image
    from vision.ocr.fields import Word, extract_fields, load_field_set

    name = str(reader.config.engine)
    readers: dict[str, Reader] = {name: lambda p: reading_of_result(reader.predict([load_image(p.image_path)])[0])}
    field_set = load_field_set() if any(p.key for p in data.pages) else None

    def extract(reading: PageReading) -> dict[str, str | None]:
        found = extract_fields([Word(t, b, 1.0, k) for k, line in enumerate(reading.lines) for t, b in line.words],
                               field_set)
        return {key: (hit.value if hit else None) for key, hit in found.items()}

    return evaluate_labelled(data, readers, main=name, extract=extract if field_set else None)
