"""Fine-tune the plate CRNN on a client's plates: their own crops, generated crops in their learned formats, and
the generic generated crops (so it does not forget the other formats), early-stopped on the client's
validation photos (never on their test photos).
"""
from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InvalidInput
from vision.plate.datasets import PlateDataset
from vision.plate.formats import PlateFormat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReaderFineTuneConfig:
    """What a reader fine-tune uses; stored in the version's card."""

    minutes: float = 20.0
    batch: int = 32
    lr: float = 5e-4
    weight_decay: float = 1e-4
    seed: int = 0
    real_variants: int = 60  # crops per client training plate
    format_crops: int = 4000  # generated crops in the client's formats
    generic_crops: int = 2000  # generated crops of the known styles
    mix: tuple[float, float, float] = (0.45, 0.35, 0.20)  # share of each batch: real, client formats, generic
    val_every_s: float = 45.0
    threads: int = 1
    max_steps: int | None = None  # for tests

    def validate(self) -> None:
        if self.minutes <= 0 or self.batch < 2 or self.real_variants < 1:
            raise InvalidInput("minutes > 0, batch >= 2 and real_variants >= 1 are required")
        if len(self.mix) != 3 or min(self.mix) < 0 or sum(self.mix) <= 0:
            raise InvalidInput(f"mix must be three non-negative shares, got {self.mix}")


@dataclass
class ReaderFineTuneResult:
    weights: Path
    seconds: float
    steps: int
    best_step: int
    before: dict[str, float]
    after: dict[str, float]
    history: list[dict[str, float]]


def _validation(recognizer_formats: Sequence[PlateFormat], model: object, crops: list[np.ndarray],
                texts: list[str]) -> dict[str, float]:
    """Exact plates on the validation crops: template-decoded with the client's formats, and greedy CTC."""
    import torch

    from vision.plate.crnn import CHARSET, to_input
    from vision.plate.read import TemplateDecoder, format_priors
    from vision.plate.train_reader import _edit_distance, greedy_texts

    model.eval()  # type: ignore[attr-defined]
    with torch.inference_mode():
        logits = model(torch.from_numpy(to_input(crops)))  # type: ignore[operator]
    model.train()  # type: ignore[attr-defined]
    probs = torch.softmax(logits, dim=2).numpy()
    decoder = TemplateDecoder(CHARSET, recognizer_formats)
    decoded = [decoder.decode(p, format_priors(c)).text for p, c in zip(probs, crops)]
    greedy = greedy_texts(logits.numpy())
    errors = sum(_edit_distance(p, t) for p, t in zip(decoded, texts))
    return {"exact": float(np.mean([d == t for d, t in zip(decoded, texts)])),
            "greedy_exact": float(np.mean([g == t for g, t in zip(greedy, texts)])),
            "cer": errors / max(1, sum(len(t) for t in texts))}


def fine_tune_reader(train: PlateDataset, val: PlateDataset, formats: Sequence[PlateFormat], init: Path, out: Path,
                     config: ReaderFineTuneConfig,
                     progress: Callable[[float, dict[str, float]], None] | None = None) -> ReaderFineTuneResult:
    """Continue ``init`` on the mix in ``config`` for ``config.minutes``; keep the checkpoint that reads the
    validation plates best (template-decoded exact, then CER) and write it to ``out``."""
    config.validate()
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads))
    import torch

    from vision.plate.boxes import PAD
    from vision.plate.client_crops import format_crops, real_crops
    from vision.plate.crnn import load_checkpoint, save_checkpoint, to_input
    from vision.plate.evaluate import ground_truth_crops
    from vision.plate.reader_crops import training_batch
    from vision.plate.train_reader import encode

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    val_crops, val_texts = ground_truth_crops(val, [PAD])
    real, real_texts = real_crops(train, config.real_variants, rng)
    fmt, fmt_texts = format_crops(rng, formats, config.format_crops)
    generic, generic_texts = training_batch((config.seed, 90_000), config.generic_crops)
    pools = []
    for crops, texts in ((real, real_texts), (fmt, fmt_texts), (generic, generic_texts)):
        images = to_input(crops).astype(np.float16) if crops else np.zeros((0, 1, 32, 128), np.float16)
        pools.append((images, texts))
    log.info("reader fine-tune data: %d client crops, %d in client formats, %d generic, %d validation plates "
             "(%.0fs)", len(real), len(fmt), len(generic), len(val_texts), time.perf_counter() - started)
    shares = np.array([m if len(p[1]) else 0.0 for m, p in zip(config.mix, pools)])
    shares /= shares.sum()
    model = load_checkpoint(init).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    before = _validation(formats, model, val_crops, val_texts)
    log.info("validation before: %s", before)
    best, best_key, best_step = before, (before["exact"], -before["cer"]), 0
    save_checkpoint(model, out)
    history: list[dict[str, float]] = [{"step": 0, **before}]
    budget = config.minutes * 60
    train_start = last_val = time.perf_counter()
    step, ema = 0, None
    while True:
        elapsed = time.perf_counter() - train_start
        final = elapsed >= budget or (config.max_steps is not None and step >= config.max_steps)
        if final or time.perf_counter() - last_val >= config.val_every_s:
            last_val = time.perf_counter()
            numbers = _validation(formats, model, val_crops, val_texts)
            history.append({"step": step, "minutes": round(elapsed / 60, 2), "loss": round(ema or 0.0, 4), **numbers})
            log.info("step %d: loss %.3f, validation %s", step, ema or 0.0, numbers)
            key = (numbers["exact"], -numbers["cer"])
            if key > best_key:
                best, best_key, best_step = numbers, key, step
                save_checkpoint(model, out)
        if final:
            break
        frac = elapsed / budget
        scale = min(1.0, frac / 0.05) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for group in optimiser.param_groups:
            group["lr"] = config.lr * max(scale, 0.02)
        counts = rng.multinomial(config.batch, shares)
        parts, texts = [], []
        for (images, pool_texts), count in zip(pools, counts):
            if count:
                picks = rng.integers(0, len(pool_texts), size=count)
                parts.append(images[picks])
                texts.extend(pool_texts[i] for i in picks)
        batch = torch.from_numpy(np.concatenate(parts).astype(np.float32))
        targets, lengths = encode(texts)
        log_probs = model(batch).log_softmax(2).transpose(0, 1)
        frames = torch.full((len(texts),), log_probs.shape[0], dtype=torch.long)
        loss = ctc(log_probs, torch.from_numpy(targets), frames, torch.from_numpy(lengths))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if progress is not None:
            progress(min(1.0, elapsed / budget), {"step": step, "loss": ema, "val_exact": best["exact"]})
    seconds = time.perf_counter() - started
    log.info("reader fine-tune: %d steps in %.0fs, best step %d: %s", step, seconds, best_step, best)
    return ReaderFineTuneResult(out, seconds, step, best_step, before, best, history)
