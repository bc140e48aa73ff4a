"""Does the receipt vocabulary generalise? 2-fold cross-validation over the SROIE tuning receipts.

The ``ppocr`` engine splits run-together words and joins cut ones with a vocabulary of transcribed
receipts (``vision/ocr/receipt_words.txt``, built from the tuning part). Measured on the tuning
part with that vocabulary, the gain would be in-sample. Here each fold's vocabulary comes from the
other half of the tuning receipts (odd / even file numbers): every receipt is read once by PP-OCR
without the vocabulary (cached per receipt), then scored without it and with its fold's vocabulary
(word F1 of page text, same metric as ``ais ocr evaluate --data``, 95 % bootstrap over receipts).
``--rebuild`` also rewrites the bundled vocabulary from the whole tuning part.

    .venv/bin/python -m benchmarks.ocr_vocabulary_cv --data ../shared/data/ocr/receipts_sroie \
        --cache runs/ocr_vocabulary_cv [--limit N] [--rebuild vision/ocr/receipt_words.txt]

The readings include the lone marks (``read_marks``) and the vocabulary step includes the one-character
substitution, so this reproduces the current engine (PP-OCRv6 small recogniser with the post-processing re-tuned for it,
issue 25: 0.898 with the vocabulary, 0.888 without; with the post-processing tuned for PP-OCRv4: 0.882 and 0.868
without it; issue 25t's PP-OCRv4: 0.844; 25r2: 0.837).
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from tqdm import tqdm

from benchmarks.ocr_folds import f1_summary, folds, page_text, tuning_pages
from core.images import load_image
from vision.ocr.lexicon import build_vocabulary, write_vocabulary
from vision.ocr.metrics import WordCounts, word_counts
from vision.ocr.tesseract import TesseractWord

log = logging.getLogger("benchmarks.ocr_vocabulary_cv")


def novocab_reader(threads: int | None = None) -> object:
    """The ``ppocr`` reader as ``extract`` uses it, but without the receipt vocabulary (replayed per fold)."""
    from vision.ocr.reader import OcrReader

    return OcrReader(engine="ppocr", device="cpu", ppocr_vocabulary=False, tesseract_layout="tesseract",
                     threads=threads).load()


def read_lines(reader: object, image: Path, cache: Path) -> list[list[TesseractWord]]:
    """The receipt's lines of words (PP-OCR, no vocabulary), cached as JSON."""
    if cache.is_file():
        rows = json.loads(cache.read_text(encoding="utf-8"))
    else:
        result = reader.predict([load_image(image)])[0]  # type: ignore[attr-defined]
        rows = [[[w.text, [w.box.x1, w.box.y1, w.box.x2, w.box.y2], w.confidence] for w in line.words]
                for line in result.lines]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(rows), encoding="utf-8")
    return [[TesseractWord(t, tuple(b), c, 1, 1, k) for t, b, c in row] for k, row in enumerate(rows)]  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the SROIE folder (img/ box/ key/)")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the cached PP-OCR readings")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tuning receipts")
    parser.add_argument("--rebuild", type=Path, default=None, help="write the whole tuning part's vocabulary here")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads (default: the reader's)")
    parser.add_argument("--boundary-folds", type=Path, default=None,
                        help="a folder with fold0.json / fold1.json (benchmarks.ocr_boundary_cv --save-folds): each "
                             "fold read with the word-boundary model trained on the other, instead of the bundled one")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pages = tuning_pages(args.data, args.limit)
    reader = novocab_reader(args.threads)
    models = None
    if args.boundary_folds is not None:
        from vision.ocr.boundary import BoundaryModel

        models = [BoundaryModel.load(args.boundary_folds / f"fold{fold}.json") for fold in (0, 1)]
    lines = {}
    for page in tqdm(pages, desc="PP-OCR"):
        if models is not None:
            reader.ppocr.boundary = models[int(page.name) % 2]  # type: ignore[attr-defined]
        lines[page.name] = read_lines(reader, page.image_path, args.cache / f"{page.name}.json")
    plain: list[WordCounts] = []
    with_vocabulary: list[WordCounts] = []
    for _, vocabulary, test in folds(pages):
        for page in test:
            reference = page.reference_text.upper()
            plain.append(word_counts(reference, page_text(lines[page.name]).upper()))
            with_vocabulary.append(word_counts(reference, page_text(lines[page.name], vocabulary).upper()))
    log.info("tuning receipts, PP-OCR without the vocabulary: word F1 %s", f1_summary(plain))
    log.info("tuning receipts, PP-OCR + the other fold's vocabulary: word F1 %s", f1_summary(with_vocabulary))
    if args.rebuild is not None:
        write_vocabulary(build_vocabulary(p.reference_text for p in pages), args.rebuild)
        log.info("wrote %s", args.rebuild)


if __name__ == "__main__":
    main()
