"""Reader training: a ``PlateCRNN`` from scratch on generated plate crops, CTC loss, under a wall-clock budget.

Crops come from worker processes (``reader_crops.training_batch``, seeds ``(seed, chunk)``) into a
replay buffer, so the single training thread never waits for rendering; validation uses crops of
seed ``seed + 10000`` (never trained on) and keeps the checkpoint with the best exact-plate rate.
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.errors import InvalidInput
from vision.plate.crnn import (
    CHARSET,
    WEIGHTS,
    CrnnConfig,
    PlateCRNN,
    load_checkpoint,
    save_checkpoint,
    to_input,
)
from vision.plate.reader_crops import WIDTHS, training_batch
from vision.plate.synth_fonts import font_paths

log = logging.getLogger(__name__)

CHUNK = 128  # crops per worker call: large enough to amortise process hand-over


@dataclass(frozen=True)
class ReaderTrainConfig:
    """What one reader training run uses; stored in the JSON card next to the weights."""

    minutes: float = 20.0
    batch: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    val_crops: int = 1000
    val_every_s: float = 60.0
    buffer: int = 40_000  # crops kept for replay; fresh ones replace the oldest
    workers: int = 1  # crop-rendering processes (the trainer itself uses one torch thread)
    threads: int = 1
    patience: int = 8  # validations without improvement before stopping early (second half only)
    easy_fraction: float = 0.15  # share of the budget rendering easy crops first (a curriculum)
    init: str | None = None  # continue from these CRNN weights
    widths: tuple[float, float] = WIDTHS  # plate widths in px of training and validation crops (log-uniform)
    max_steps: int | None = None  # for tests: stop after this many steps

    def validate(self) -> None:
        if self.minutes <= 0:
            raise InvalidInput("minutes must be positive")
        if self.init is not None and not Path(self.init).is_file():
            raise InvalidInput(f"initial reader weights {self.init!r} do not exist")
        if not 0.0 <= self.easy_fraction < 1.0:
            raise InvalidInput("easy_fraction must be in [0, 1)")
        if not 8 <= self.widths[0] <= self.widths[1]:
            raise InvalidInput(f"widths must be two plate widths in pixels, 8 <= low <= high; got {self.widths}")
        if self.batch < 2 or self.val_crops < 1 or self.buffer < self.batch or self.workers < 0:
            raise InvalidInput("batch >= 2, val_crops >= 1, buffer >= batch and workers >= 0 are required")


@dataclass
class ReaderTrainResult:
    """Where the reader went and what validation on unseen generated crops said."""

    weights: Path
    version: str
    seconds: float
    steps: int
    metrics: dict[str, float]


def encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated CTC targets (class indices, 1-based) and their lengths."""
    index = {c: i for i, c in enumerate(CHARSET)}
    flat = [index[c] for text in texts for c in text]
    return np.array(flat, np.int64), np.array([len(t) for t in texts], np.int64)


class _CropBuffer:
    """A ring buffer of preprocessed crops filled by worker processes (or inline with 0 workers)."""

    def __init__(self, config: ReaderTrainConfig, crnn: CrnnConfig) -> None:
        self.config = config
        self.images = np.zeros((config.buffer, 1, crnn.height, crnn.width), np.float16)
        self.texts: list[str] = [""] * config.buffer
        self.size = self.cursor = self.chunks = 0
        self.pool = ProcessPoolExecutor(config.workers) if config.workers > 0 else None
        self.pending: list[Future] = []
        self.easy = False

    def _submit(self) -> None:
        seed = (self.config.seed, self.chunks)
        self.chunks += 1
        if self.pool is not None:
            self.pending.append(self.pool.submit(training_batch, seed, CHUNK, self.easy, self.config.widths))
        else:
            self._add(*training_batch(seed, CHUNK, self.easy, self.config.widths))

    def _add(self, crops: list[np.ndarray], texts: list[str]) -> None:
        batch = to_input(crops, self.images.shape[2], self.images.shape[3]).astype(np.float16)
        for image, text in zip(batch, texts):
            self.images[self.cursor] = image
            self.texts[self.cursor] = text
            self.cursor = (self.cursor + 1) % len(self.texts)
            self.size = min(self.size + 1, len(self.texts))

    def fill(self, at_least: int) -> None:
        """Block until the buffer holds ``at_least`` crops; keep the workers busy."""
        while True:
            done = [f for f in self.pending if f.done()]
            for future in done:
                self.pending.remove(future)
                self._add(*future.result())
            if self.pool is None and self.size < at_least:
                self._submit()
                continue
            while self.pool is not None and len(self.pending) < 2 * self.config.workers:
                self._submit()
            if self.size >= at_least:
                return
            time.sleep(0.05)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[str]]:
        picks = rng.integers(0, self.size, size=n)
        return self.images[picks].astype(np.float32), [self.texts[i] for i in picks]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


def greedy_texts(logits: np.ndarray) -> list[str]:
    """Best-path CTC decoding of N x T x C logits (no templates): the validation metric's reader."""
    out = []
    for best in logits.argmax(axis=2):
        chars, previous = [], 0
        for index in best:
            if index != previous and index != 0:
                chars.append(CHARSET[index])
            previous = index
        out.append("".join(chars))
    return out


def evaluate_crops(model: PlateCRNN, images: np.ndarray, texts: list[str]) -> dict[str, float]:
    """Exact-text rate (greedy CTC) and character error rate on preprocessed crops."""
    import torch

    model.eval()
    with torch.inference_mode():
        logits = np.concatenate([model(torch.from_numpy(images[i:i + 256])).numpy()
                                 for i in range(0, len(images), 256)])
    model.train()
    predicted = greedy_texts(logits)
    exact = float(np.mean([p == t for p, t in zip(predicted, texts)]))
    errors = sum(_edit_distance(p, t) for p, t in zip(predicted, texts))
    return {"exact": exact, "cer": errors / max(1, sum(len(t) for t in texts))}


def _edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def train_reader(config: ReaderTrainConfig, out: Path | None = None, crnn: CrnnConfig | None = None,
                 progress: Callable[[float, dict[str, float]], None] | None = None) -> ReaderTrainResult:
    """Train a ``PlateCRNN`` for ``config.minutes`` and write the best checkpoint to ``out`` (+ a JSON card).

    ``progress(fraction_of_budget_done, latest_numbers)`` is called after every step.
    """
    config.validate()
    crnn = crnn or CrnnConfig()
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads))
    import torch

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    out = out or WEIGHTS
    started = time.perf_counter()
    val_crops, val_texts = training_batch((config.seed + 10_000, 0), config.val_crops, widths=config.widths)
    val_images = to_input(val_crops, crnn.height, crnn.width)
    buffer = _CropBuffer(config, crnn)
    buffer.easy = config.easy_fraction > 0 and config.init is None
    model = load_checkpoint(Path(config.init)).train() if config.init else PlateCRNN(crnn)
    crnn = model.config
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    rng = np.random.default_rng(config.seed)
    budget = config.minutes * 60
    best: dict[str, float] = {"exact": -1.0}
    best_step, step, stale, last_val, ema = 0, 0, 0, time.perf_counter(), None
    history: list[dict[str, float]] = []
    try:
        buffer.fill(min(config.buffer, max(config.batch * 8, 1024)))
        train_start = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - train_start
            if elapsed >= budget or (config.max_steps is not None and step >= config.max_steps):
                break
            # Warm up for 3 % of the budget, then cosine decay to 5 % of the peak by the deadline.
            frac = elapsed / budget
            buffer.easy = buffer.easy and frac < config.easy_fraction
            scale = min(1.0, frac / 0.03) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
            for group in optimiser.param_groups:
                group["lr"] = config.lr * max(scale, 0.01)
            buffer.fill(config.batch)
            images, texts = buffer.sample(rng, config.batch)
            targets, lengths = encode(texts)
            logits = model(torch.from_numpy(images))  # N x T x C
            log_probs = logits.log_softmax(2).transpose(0, 1)  # T x N x C for CTCLoss
            frames = torch.full((len(texts),), log_probs.shape[0], dtype=torch.long)
            loss = ctc(log_probs, torch.from_numpy(targets), frames, torch.from_numpy(lengths))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            step += 1
            value = loss.item()
            ema = value if ema is None else 0.98 * ema + 0.02 * value
            now = time.perf_counter()
            final = now - train_start >= budget or (config.max_steps is not None and step >= config.max_steps)
            if now - last_val >= config.val_every_s or final:
                last_val = now
                metrics = evaluate_crops(model, val_images, val_texts)
                history.append({"step": step, "minutes": round((now - train_start) / 60, 2), "loss": round(ema, 4),
                                **{k: round(v, 4) for k, v in metrics.items()}})
                log.info("step %d: loss %.3f, validation exact %.3f, CER %.3f", step, ema, metrics["exact"],
                         metrics["cer"])
                if metrics["exact"] > best["exact"]:
                    best, best_step, stale = metrics, step, 0
                    save_checkpoint(model, out)
                else:
                    stale += 1
                    # CTC models sit on a plateau (all blanks) for a while before they learn to read:
                    # stop early only in the second half of the budget.
                    if stale >= config.patience and now - train_start > budget / 2:
                        log.info("no improvement in %d validations: stopping early", stale)
                        break
            if progress is not None:
                progress(min(1.0, (now - train_start) / budget),
                         {"loss": ema, "exact": best["exact"], "step": step,
                          "last_exact": history[-1]["exact"] if history else 0.0})
    finally:
        buffer.close()
    seconds = time.perf_counter() - started
    version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    params = sum(p.numel() for p in model.parameters())
    head = f"BiLSTM {crnn.hidden}" if crnn.hidden else "conv sequence head"
    origin = f"continued from {Path(config.init).name}" if config.init else "trained from scratch"
    init_card = Path(config.init).with_suffix(".json") if config.init else None
    card = {"version": version, "model": f"PlateCRNN (conv backbone + {head} + CTC), {origin}", "parameters": params,
            "init": json.loads(init_card.read_text()) if init_card is not None and init_card.exists() else None,
            "input": f"grey {crnn.height}x{crnn.width}, per-crop standardised", "charset": "".join(CHARSET[1:]),
            "crnn": asdict(crnn), "config": asdict(config), "seconds": round(seconds, 1), "steps": step,
            "best_step": best_step, "crops_seen": step * config.batch, "crops_rendered": buffer.chunks * CHUNK,
            "data": {"train": f"reader_crops.training_batch seeds ({config.seed}, chunk)",
                     "validation": f"{config.val_crops} crops of seed ({config.seed + 10000}, 0), never trained on",
                     "plate_widths_px": list(config.widths),
                     "fonts": [path.name for path in font_paths()]},
            "validation": {"exact_greedy": round(best["exact"], 4), "cer_greedy": round(best.get("cer", 1.0), 4)},
            "history": history}
    out.with_suffix(".json").write_text(json.dumps(card, indent=2))
    log.info("saved %s (version %s) after %d steps in %.0fs", out, version, step, seconds)
    return ReaderTrainResult(out, version, seconds, step, {"val_exact": best["exact"], "val_cer": best.get("cer", 1.0)})
