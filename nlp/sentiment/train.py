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
from typing import TYPE_CHECKING, Any

from core.device import resolve_placement
from core.errors import InvalidInput
from nlp.sentiment.datasets import LabelledTexts
from nlp.sentiment.model import SentimentModelConfig, apply_weights, build_network, trainable_prefixes

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nlp.sentiment.mlm import MlmResult

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
    class_weights: bool = True  # inverse class frequency in the loss (a client's labels are rarely balanced)
    label_smoothing: float = 0.0
    train_embeddings: bool = False  # also tune the token embeddings (a language the encoder barely knows)
    lexical: bool = False  # mix in a word+character TF-IDF head, its weight chosen on the early-stopping split
    mlm_epochs: float = 0.0  # > 0: first continue masked-LM pre-training on the training texts (mlm.py)
    mlm_max_minutes: float | None = None  # time cap of that pre-training (None or 0: none)
    mlm_lr: float = 5e-5  # learning rate of the encoder layers during it


@dataclass
class FineTuneResult:
    """The trained network (best held-out state restored) and what happened while training."""

    net: Any
    tokenizer: Any
    config: SentimentModelConfig
    history: list[dict[str, float]] = field(default_factory=list)
    holdout_accuracy: float = 0.0
    stopped_early: bool = False
    holdout_macro_f1: float = 0.0
    holdout_confusion: list[list[int]] = field(default_factory=list)  # rows truth, columns predicted (config.labels)
    seconds: float = 0.0
    train: LabelledTexts | None = None  # the rows trained on
    holdout: LabelledTexts | None = None  # the early-stopping rows
    holdout_probs: Any = None  # the best state's probabilities on ``holdout``
    mlm: dict[str, object] | None = None  # what continued MLM pre-training did (MlmResult.as_dict), if it ran


def new_version(prefix: str = "sentiment") -> str:
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def split_holdout(data: LabelledTexts, fraction: float, cap: int, seed: int) -> tuple[LabelledTexts, LabelledTexts]:
    """A seeded split stratified by label (at most ``cap`` rows held out); it drives early stopping only."""
    if not 0.0 < fraction < 0.5:
        raise InvalidInput(f"holdout fraction must be in (0, 0.5), got {fraction}")
    fraction = min(fraction, cap / max(len(data), 1))
    train, hold = data.split(fraction, seed, suffix="earlystop")
    return (LabelledTexts(f"{data.name}-train", train.texts, train.labels, data.label_names),
            LabelledTexts(f"{data.name}-holdout", hold.texts, hold.labels, data.label_names))


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


def probabilities(net: Any, ids: list[list[int]], pad_id: int, device: str, batch_size: int = 128) -> Any:
    """``n x classes`` softmax probabilities of tokenised texts (eval mode, restored to train mode after)."""
    import numpy as np
    import torch

    net.eval()
    out: Any = None
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            part = order[start:start + batch_size]
            input_ids, mask = _pad([ids[i] for i in part], pad_id, device)
            probs = torch.softmax(net(input_ids, mask).float(), dim=-1).cpu().numpy()
            if out is None:
                out = np.zeros((len(ids), probs.shape[1]), dtype=np.float32)
            out[part] = probs
    net.train()
    return out


def class_weights(labels: list[int], n_labels: int) -> list[float]:
    """``n / (k * count)`` per class (1.0 on balanced data); a class absent from ``labels`` gets 1.0.

    >>> class_weights([0, 0, 0, 1], 2)
    [0.6666666666666666, 2.0]
    """
    n = len(labels)
    return [n / (n_labels * labels.count(c)) if labels.count(c) else 1.0 for c in range(n_labels)]


def fine_tune(data: LabelledTexts, config: FineTuneConfig | None = None, start_from: Path | None = None,
              progress: bool = True, version: str | None = None, mlm_texts: Sequence[str] = ()) -> FineTuneResult:
    """Fine-tune the top ``train_layers`` encoder layers and the head; restore the best held-out state.

    With ``config.mlm_epochs > 0`` the trainable encoder layers first continue masked-LM pre-training on
    the training rows' texts plus ``mlm_texts`` (minus any early-stopping text), then fine-tuning runs as
    without it (same seeds).
    """
    import numpy as np
    import torch

    from nlp.encoder import load_backbone

    config = config or FineTuneConfig()
    if len(data) < 20:
        raise InvalidInput(f"need at least 20 labelled texts to fine-tune, got {len(data)}")
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    from sklearn.metrics import confusion_matrix, f1_score

    placement = resolve_placement(config.device, "fp32")  # train in fp32; fp16 only for the saved copy
    tokenizer, backbone = load_backbone(placement)
    n_labels = len(data.label_names)
    net = build_network(backbone, n_labels=n_labels).to(placement.device)
    origin = ""
    if start_from is not None:
        from nlp.sentiment.model import read_config

        same_labels = tuple(read_config(start_from).labels) == tuple(data.label_names)
        base = apply_weights(net, start_from, with_head=same_labels)
        origin = f"; continued from {base.version}{'' if same_labels else ' (its encoder layers; a new head)'}"
        if base.train_layers > config.train_layers:
            log.info("starting model tuned %d layers; tuning %d layers now", base.train_layers, config.train_layers)
            config.train_layers = base.train_layers  # else the saved adapter would drop tuned layers
        config.train_embeddings = config.train_embeddings or base.train_embeddings
    prefixes = trainable_prefixes(config.train_layers, config.train_embeddings)
    layer_params, head_params = [], []
    for name, param in net.named_parameters():
        param.requires_grad = name.startswith(prefixes)
        if param.requires_grad:
            (head_params if name.startswith("head.") else layer_params).append(param)
    train, hold = split_holdout(data, config.holdout, config.max_holdout, config.seed)
    encode = lambda texts: tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]
    train_ids, hold_ids = encode(train.texts), encode(hold.texts)
    mlm = _pretrain(net.backbone, tokenizer, train.texts, hold.texts, mlm_texts, config, placement.device, progress)
    if mlm is not None:
        origin += (f"; MLM pre-training first: {mlm.steps} steps on {mlm.texts} texts, "
                   f"loss {mlm.first_loss:.2f} -> {mlm.last_loss:.2f}")
        torch.manual_seed(config.seed)  # fine-tuning's dropout as without it
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
    weight = torch.tensor(class_weights(train.labels, n_labels), dtype=torch.float32) if config.class_weights else None
    loss_fn = torch.nn.CrossEntropyLoss(weight=None if weight is None else weight.to(placement.device),
                                        label_smoothing=config.label_smoothing)
    log.info("fine-tuning on %d texts, labels %s (counts %s), %d held out for early stopping",
             len(train), list(data.label_names), train.counts(), len(hold))
    best_f1, best_acc, best_cm, best_state, bad_evals, history = -1.0, 0.0, [], None, 0, []
    best_probs: Any = None
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
                bar.set_postfix(loss=f"{loss.item():.3f}", best_f1=f"{max(best_f1, 0):.3f}")
            out_of_time = bool(config.max_minutes) and time.monotonic() - started > 60 * (config.max_minutes or 0)
            if step % eval_every == 0 or step == total or out_of_time:
                probs = probabilities(net, hold_ids, tokenizer.pad_token_id, placement.device)
                pred = probs.argmax(axis=1).tolist()
                acc = sum(int(p == y) for p, y in zip(pred, hold.labels)) / len(pred)
                f1 = float(f1_score(hold.labels, pred, average="macro", labels=list(range(n_labels)), zero_division=0))
                history.append({"step": step, "epoch": step / steps_per_epoch, "holdout_accuracy": acc,
                                "holdout_macro_f1": f1, "loss": float(loss.item()),
                                "minutes": (time.monotonic() - started) / 60})
                log.info("step %d/%d held-out accuracy %.4f macro-F1 %.4f", step, total, acc, f1)
                if f1 > best_f1:
                    best_f1, best_acc, best_probs, bad_evals = f1, acc, probs, 0
                    best_cm = confusion_matrix(hold.labels, pred, labels=list(range(n_labels))).tolist()
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
        labels=tuple(data.label_names), train_embeddings=config.train_embeddings,
        trained_on=f"{data.name} ({len(train)} texts; {len(hold)} held out for early stopping){origin}",
        metrics={"holdout_accuracy": round(best_acc, 4), "holdout_macro_f1": round(best_f1, 4)},
        created=datetime.now(UTC).isoformat(timespec="seconds"))
    return FineTuneResult(net, tokenizer, model_config, history, best_acc, stopped, best_f1, best_cm,
                          time.monotonic() - started, train, hold, best_probs, None if mlm is None else mlm.as_dict())


def _pretrain(backbone: Any, tokenizer: Any, train_texts: Sequence[str], hold_texts: Sequence[str],
              extra: Sequence[str], config: FineTuneConfig, device: str, progress: bool) -> MlmResult | None:
    """Continued MLM pre-training when ``config.mlm_epochs > 0``: on the training texts + ``extra``, never on an
    early-stopping text (the caller keeps test texts out of ``extra``)."""
    if not config.mlm_epochs:
        if extra:
            raise InvalidInput("unlabelled MLM texts were given but MLM pre-training is off (set --mlm-epochs)")
        return None
    from nlp.sentiment.mlm import MlmConfig, continue_pretraining

    held = set(hold_texts)
    texts = [t for t in (*train_texts, *extra) if t not in held]
    mlm_config = MlmConfig(epochs=config.mlm_epochs, max_minutes=config.mlm_max_minutes,
                           batch_size=config.batch_size, max_length=config.max_length, lr_layers=config.mlm_lr,
                           weight_decay=config.weight_decay, seed=config.seed)
    return continue_pretraining(backbone, tokenizer, texts, mlm_config, device=device, progress=progress)


def train_and_save(data: LabelledTexts, out: Path, config: FineTuneConfig | None = None,
                   start_from: Path | None = None, progress: bool = True, version: str | None = None,
                   mlm_texts: Sequence[str] = ()) -> FineTuneResult:
    """Fine-tune, then write the weights folder (adapter + config with the training history)."""
    import json

    from nlp.sentiment.model import save_weights

    result = fine_tune(data, config, start_from=start_from, progress=progress, version=version, mlm_texts=mlm_texts)
    if config is not None and config.lexical:
        add_lexical_head(result, out)
    save_weights(out, result.net, result.config)
    (out / "history.json").write_text(json.dumps(result.history, indent=2))
    return result


def add_lexical_head(result: FineTuneResult, out: Path) -> None:
    """Fit the TF-IDF head on the rows the encoder trained on, choose its weight on the early-stopping rows
    (macro-F1), save it into ``out`` and record the weight (and the mixed early-stopping score) in the config."""
    from nlp.sentiment.lexical import TfidfBaseline, best_mix

    assert result.train is not None and result.holdout is not None and result.holdout_probs is not None
    lexical = TfidfBaseline().fit(result.train.texts, result.train.labels)
    weight, score = best_mix(result.holdout_probs, lexical.probabilities(result.holdout.texts), result.holdout.labels)
    out.mkdir(parents=True, exist_ok=True)
    lexical.save(out)
    result.config.encoder_weight = weight
    result.config.metrics["holdout_macro_f1_with_lexical"] = round(score, 4)
    log.info("lexical head: encoder weight %.1f, early-stopping macro-F1 %.4f (encoder alone %.4f)",
             weight, score, result.holdout_macro_f1)
