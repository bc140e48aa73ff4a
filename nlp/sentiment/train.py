"""Fine-tuning the sentiment network: top encoder layers + head, length-bucketed batches, early stopping.

Used both to build the default model (SST-2 train) and to adapt a model to a client's labelled
CSV (starting from the default model). The held-out split for early stopping is cut from the
training data; evaluation sets (SST-2 dev) are never seen here.
"""
from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.device import resolve_placement
from core.errors import InvalidInput
from nlp.sentiment.datasets import LabelledTexts
from nlp.sentiment.model import SentimentModelConfig, apply_weights, build_network, trainable_prefixes

log = logging.getLogger(__name__)


@dataclass
class FineTuneConfig:
    """Hyper-parameters; the defaults are the ones that built the shipped model (see README)."""

    train_layers: int = 2
    epochs: int = 1
    batch_size: int = 32
    lr_layers: float = 1e-4
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    max_length: int = 64
    holdout: float = 0.05
    max_holdout: int = 2000
    evals_per_epoch: int = 4
    patience: int = 3
    seed: int = 13
    order_seed: int | None = None  # batch order; differs from ``seed`` when continuing a run on new batches
    max_minutes: float | None = None  # None or 0: no time limit
    device: str = "auto"


@dataclass
class FineTuneResult:
    """The trained network (best held-out state restored) and what happened while training."""

    net: Any
    tokenizer: Any
    config: SentimentModelConfig
    history: list[dict[str, float]] = field(default_factory=list)
    holdout_accuracy: float = 0.0
    stopped_early: bool = False


def new_version(prefix: str = "sentiment") -> str:
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def split_holdout(data: LabelledTexts, fraction: float, cap: int, seed: int) -> tuple[LabelledTexts, LabelledTexts]:
    """A seeded, stratification-free random split; the held-out part drives early stopping only."""
    if not 0.0 < fraction < 0.5:
        raise InvalidInput(f"holdout fraction must be in (0, 0.5), got {fraction}")
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    n_hold = max(1, min(cap, int(len(order) * fraction)))
    hold, train = order[:n_hold], order[n_hold:]
    pick = lambda idx, name: LabelledTexts(name, [data.texts[i] for i in idx], [data.labels[i] for i in idx])
    return pick(train, f"{data.name}-train"), pick(hold, f"{data.name}-holdout")


def _bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), visited in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _pad(ids: list[list[int]], pad_id: int, device: str) -> tuple[Any, Any]:
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    return input_ids.to(device), mask.to(device)


def accuracy(net: Any, ids: list[list[int]], labels: list[int], pad_id: int, device: str, batch_size: int = 128) -> float:
    import torch

    net.eval()
    correct = 0
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            part = order[start:start + batch_size]
            input_ids, mask = _pad([ids[i] for i in part], pad_id, device)
            pred = net(input_ids, mask).argmax(-1).cpu().tolist()
            correct += sum(int(p == labels[i]) for p, i in zip(pred, part))
    net.train()
    return correct / max(len(ids), 1)


def fine_tune(data: LabelledTexts, config: FineTuneConfig | None = None, start_from: Path | None = None,
              progress: bool = True, version: str | None = None) -> FineTuneResult:
    """Fine-tune the top ``train_layers`` encoder layers and the head; restore the best held-out state."""
    import numpy as np
    import torch

    from nlp.encoder import load_backbone

    config = config or FineTuneConfig()
    if len(data) < 20:
        raise InvalidInput(f"need at least 20 labelled texts to fine-tune, got {len(data)}")
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    placement = resolve_placement(config.device, "fp32")  # train in fp32; fp16 only for the saved copy
    tokenizer, backbone = load_backbone(placement)
    net = build_network(backbone).to(placement.device)
    origin = ""
    if start_from is not None:
        base = apply_weights(net, start_from)
        origin = f"; continued from {base.version}"
        if base.train_layers > config.train_layers:
            log.info("starting model tuned %d layers; tuning %d layers now", base.train_layers, config.train_layers)
            config.train_layers = base.train_layers  # else the saved adapter would drop tuned layers
    prefixes = trainable_prefixes(config.train_layers)
    layer_params, head_params = [], []
    for name, param in net.named_parameters():
        param.requires_grad = name.startswith(prefixes)
        if param.requires_grad:
            (head_params if name.startswith("head.") else layer_params).append(param)
    train, hold = split_holdout(data, config.holdout, config.max_holdout, config.seed)
    encode = lambda texts: tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]
    train_ids, hold_ids = encode(train.texts), encode(hold.texts)
    groups = [{"params": head_params, "lr": config.lr_head}]
    if layer_params:
        groups.append({"params": layer_params, "lr": config.lr_layers})
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    eval_every = max(1, steps_per_epoch // max(1, config.evals_per_epoch))
    rng = random.Random(config.seed if config.order_seed is None else config.order_seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    best_acc, best_state, bad_evals, history = -1.0, None, 0, []
    started, step, stopped = time.monotonic(), 0, False
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=f"fine-tune ({config.train_layers} layers)", unit="batch")
    net.train()
    labels_all = torch.tensor(train.labels)
    for epoch in range(config.epochs):
        for batch in _bucketed_batches([len(x) for x in train_ids], config.batch_size, rng):
            input_ids, mask = _pad([train_ids[i] for i in batch], tokenizer.pad_token_id, placement.device)
            loss = loss_fn(net(input_ids, mask), labels_all[batch].to(placement.device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(layer_params + head_params, 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", best=f"{max(best_acc, 0):.3f}")
            out_of_time = bool(config.max_minutes) and time.monotonic() - started > 60 * (config.max_minutes or 0)
            if step % eval_every == 0 or step == total or out_of_time:
                acc = accuracy(net, hold_ids, hold.labels, tokenizer.pad_token_id, placement.device)
                history.append({"step": step, "epoch": epoch + step / total, "holdout_accuracy": acc,
                                "loss": float(loss.item()), "minutes": (time.monotonic() - started) / 60})
                log.info("step %d/%d held-out accuracy %.4f", step, total, acc)
                if acc > best_acc:
                    best_acc, bad_evals = acc, 0
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items() if k.startswith(prefixes)}
                else:
                    bad_evals += 1
                if bad_evals >= config.patience or out_of_time:
                    stopped = True
                    log.info("stopping at step %d (%s)", step, "time budget" if out_of_time else "no improvement")
                    break
        if stopped:
            break
    if bar is not None:
        bar.close()
    if best_state is not None:
        net.load_state_dict(best_state, strict=False)
    net.eval()
    model_config = SentimentModelConfig(
        version=version or new_version(), train_layers=config.train_layers, max_length=config.max_length,
        trained_on=f"{data.name} ({len(train)} texts; {len(hold)} held out for early stopping){origin}",
        metrics={"holdout_accuracy": round(best_acc, 4)}, created=datetime.now(UTC).isoformat(timespec="seconds"))
    return FineTuneResult(net, tokenizer, model_config, history, best_acc, stopped)


def train_and_save(data: LabelledTexts, out: Path, config: FineTuneConfig | None = None,
                   start_from: Path | None = None, progress: bool = True, version: str | None = None) -> FineTuneResult:
    """Fine-tune, then write the weights folder (adapter + config with the training history)."""
    import json

    from nlp.sentiment.model import save_weights

    result = fine_tune(data, config, start_from=start_from, progress=progress, version=version)
    save_weights(out, result.net, result.config)
    (out / "history.json").write_text(json.dumps(result.history, indent=2))
    return result
