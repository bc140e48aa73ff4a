"""What the OCR receipt CV benchmarks share: the SROIE tuning receipts (001-052), their two folds (odd / even
file numbers) each with a receipt vocabulary built from the *other* fold, page text from a reading's lines, and
a word-F1 summary with a 95 % bootstrap interval over receipts (the metric of ``ais ocr evaluate --data``)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from core.stats import bootstrap_interval
from vision.ocr.labelled import LabelledPage, read_labelled, split_of
from vision.ocr.lexicon import Vocabulary, build_vocabulary
from vision.ocr.metrics import WordCounts, word_f1
from vision.ocr.ppocr import apply_vocabulary
from vision.ocr.tesseract import TesseractWord


def tuning_pages(data: Path, limit: int | None = None) -> list[LabelledPage]:
    """The SROIE tuning receipts of ``data`` (the first ``limit``)."""
    return [p for p in read_labelled(data, "sroie").pages if split_of(p.name) == "tune"][:limit]


def folds(pages: list[LabelledPage]) -> Iterator[tuple[int, Vocabulary, list[LabelledPage]]]:
    """``(fold, vocabulary of the other fold's transcriptions, this fold's pages)`` for folds 0 and 1."""
    for fold in (0, 1):
        vocabulary = build_vocabulary(p.reference_text for p in pages if int(p.name) % 2 != fold)
        yield fold, vocabulary, [p for p in pages if int(p.name) % 2 == fold]


def rows_to_lines(rows: list[list]) -> list[list[TesseractWord]]:
    """Cached word rows ``[text, box, confidence, line]`` back into lines of words, in line order of appearance."""
    lines: dict[int, list[TesseractWord]] = {}
    for text, box, confidence, line in rows:
        lines.setdefault(line, []).append(TesseractWord(text, tuple(box), confidence, 1, 1, line))  # type: ignore[arg-type]
    return list(lines.values())


def page_text(lines: Iterable[list[TesseractWord]], vocabulary: Vocabulary | None = None) -> str:
    """A page's text, one line of words per row, each line through ``apply_vocabulary`` when one is given."""
    return "\n".join(" ".join(w.text for w in (apply_vocabulary(line, vocabulary) if vocabulary else line))
                     for line in lines)


def f1_summary(counts: list[WordCounts]) -> str:
    """Word F1 with its 95 % bootstrap interval over receipts, precision, recall and the number of receipts."""
    precision, recall, f1 = word_f1(counts)
    low, high = bootstrap_interval(lambda c: word_f1(c)[2], counts, n_resamples=1000)
    return f"{f1:.4f} (95 % {low:.3f}-{high:.3f}) P {precision:.3f} R {recall:.3f} n={len(counts)}"


def paired_gain(base: list[WordCounts], other: list[WordCounts]) -> tuple[float, float, float]:
    """Pooled word F1 of ``other`` minus ``base``'s (same receipts, same order) and its 95 % bootstrap interval,
    receipts resampled in pairs."""
    paired = list(zip(base, other))

    def gain(ps: list[tuple[WordCounts, WordCounts]]) -> float:
        return word_f1([b for _, b in ps])[2] - word_f1([a for a, _ in ps])[2]

    low, high = bootstrap_interval(gain, paired, n_resamples=1000)
    return gain(paired), low, high


FoldCounts = tuple[list[WordCounts], list[WordCounts]]


def print_cv_table(scores: dict[str, FoldCounts], base: str, width: int = 34) -> None:
    """One row per candidate (pooled word F1, per fold, paired gain over ``base``), then the nested choice: each
    fold scored with the candidate best on the other fold."""
    reference = scores[base][0] + scores[base][1]
    print(f"{'method':{width}} {'pooled word F1 (95 %)':52} {'fold 0':7} {'fold 1':7} gain (paired 95 %)")
    for name, (f0, f1) in scores.items():
        gain, low, high = paired_gain(reference, f0 + f1)
        print(f"{name:{width}} {f1_summary(f0 + f1):52} {word_f1(f0)[2]:.4f}  {word_f1(f1)[2]:.4f}  "
              f"{gain:+.4f} ({low:+.4f} {high:+.4f})")
    chosen = [max(scores, key=lambda k: word_f1(scores[k][1 - fold])[2]) for fold in (0, 1)]
    nested = scores[chosen[0]][0] + scores[chosen[1]][1]
    print(f"chosen by CV: fold 0 <- {chosen[0]}, fold 1 <- {chosen[1]}: {f1_summary(nested)}")
