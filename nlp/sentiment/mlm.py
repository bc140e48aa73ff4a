"""Continued masked-language-model pre-training of the encoder on a client's unlabelled texts (before fine-tuning).

The bundled all-MiniLM-L6-v2 is a sentence-transformers checkpoint: it has no MLM head. The head
here is BERT's (``BertForMaskedLM``'s ``cls.predictions``): the transform (dense + GELU + LayerNorm,
built from the encoder folder's config, initialised as BERT initialises it), a decoder **tied to the
word embeddings** and an output bias **starting at zero**. Masking is BERT's: 15 % of the real
(non-special) tokens are chosen; of those 80 % become ``[MASK]``, 10 % a random token, 10 % stay.
The loss is computed on the chosen tokens only (the 30,522-word decoder runs on those rows alone).

Only the encoder parameters the caller marks trainable move (the fine-tune's top layers, and the
embeddings with ``--train-embeddings``), so the saved adapter carries every change the MLM made.
Masks come from a seeded generator: the same texts, seed and config give the same run.
"""
from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidInput

log = logging.getLogger(__name__)

IGNORE = -100  # label of an unchosen token (ignored by the loss)


@dataclass
class MlmConfig:
    """How long and how hard to continue pre-training."""

    epochs: float = 1.0  # passes over the texts (fractions allowed)
    max_minutes: float | None = None  # None or 0: no cap; the schedule is not shortened by the cap
    batch_size: int = 32
    max_length: int = 128
    lr_layers: float = 5e-5
    lr_head: float = 1e-3  # the head's transform starts untrained
    weight_decay: float = 0.01
    mask_probability: float = 0.15
    seed: int = 13
    log_every: int = 20  # steps per loss record in the history

    def validate(self) -> None:
        if not self.epochs > 0:
            raise InvalidInput(f"MLM epochs must be > 0, got {self.epochs}")
        if self.max_minutes is not None and self.max_minutes < 0:
            raise InvalidInput(f"MLM max minutes must be >= 0, got {self.max_minutes}")
        if not 0.0 < self.mask_probability < 1.0:
            raise InvalidInput(f"mask probability must be in (0, 1), got {self.mask_probability}")


@dataclass
class MlmResult:
    """What continued pre-training did (kept in the model's report)."""

    texts: int
    steps: int
    planned_steps: int
    seconds: float
    cpu_seconds: float
    first_loss: float  # mean masked-token loss over the first ``log_every`` steps
    last_loss: float  # ... and over the last ``log_every`` steps
    stopped_by_time: bool
    history: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"texts": self.texts, "steps": self.steps, "planned_steps": self.planned_steps,
                "minutes": round(self.seconds / 60, 2), "cpu_minutes": round(self.cpu_seconds / 60, 2),
                "first_loss": round(self.first_loss, 4), "last_loss": round(self.last_loss, 4),
                "stopped_by_time": self.stopped_by_time, "history": self.history}


def mask_tokens(input_ids: Any, special: Any, vocab_size: int, mask_id: int, probability: float,
                generator: Any) -> tuple[Any, Any]:
    """BERT masking: returns (corrupted ids, labels); labels are ``IGNORE`` except at the chosen tokens.

    ``special`` is a boolean tensor of the positions never chosen ([CLS], [SEP], padding).
    """
    import torch

    chosen = (torch.rand(input_ids.shape, generator=generator) < probability) & ~special
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE))
    roll = torch.rand(input_ids.shape, generator=generator)
    corrupted = input_ids.clone()
    corrupted[chosen & (roll < 0.8)] = mask_id
    random_slot = chosen & (roll >= 0.8) & (roll < 0.9)
    corrupted[random_slot] = torch.randint(vocab_size, input_ids.shape, generator=generator)[random_slot]
    return corrupted, labels


class MlmHead:
    """``BertForMaskedLM``'s prediction head over an existing encoder: transform, tied decoder, zero bias."""

    def __init__(self, backbone: Any, seed: int) -> None:
        import torch
        from transformers.models.bert.modeling_bert import BertPredictionHeadTransform

        config = backbone.config
        generator = torch.Generator().manual_seed(seed)
        self.transform = BertPredictionHeadTransform(config)
        with torch.no_grad():
            dense = self.transform.dense
            dense.weight.copy_(torch.randn(dense.weight.shape, generator=generator) * config.initializer_range)
            dense.bias.zero_()
        self.embeddings = backbone.embeddings.word_embeddings  # the tied decoder weight
        self.bias = torch.nn.Parameter(torch.zeros(config.vocab_size))
        self.vocab_size = int(config.vocab_size)

    def to(self, device: str) -> MlmHead:
        self.transform.to(device)
        self.bias.data = self.bias.data.to(device)
        return self

    def parameters(self) -> list[Any]:
        """Own parameters (the tied decoder weight belongs to the encoder and moves only if it is trainable)."""
        return [*self.transform.parameters(), self.bias]

    def logits(self, hidden: Any) -> Any:
        import torch

        return torch.nn.functional.linear(self.transform(hidden), self.embeddings.weight, self.bias)


def continue_pretraining(backbone: Any, tokenizer: Any, texts: list[str], config: MlmConfig, device: str = "cpu",
                         progress: bool = True) -> MlmResult:
    """Continue MLM pre-training of ``backbone`` (a ``BertModel``; its trainable parameters are the ones with
    ``requires_grad``) on ``texts``. The backbone is left in train mode with its new weights."""
    import torch

    config.validate()
    params = [p for p in backbone.parameters() if p.requires_grad]
    if not params:
        raise InvalidInput("MLM pre-training would change nothing: no encoder parameter is trainable "
                           "(use --train-layers >= 1 or --train-embeddings)")
    texts = [t for t in dict.fromkeys(texts) if t.strip()]
    if len(texts) < 2:
        raise InvalidInput(f"MLM pre-training needs at least 2 distinct texts, got {len(texts)}")
    head = MlmHead(backbone, config.seed).to(device)
    ids = tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]
    specials = torch.tensor(sorted(set(tokenizer.all_special_ids)))
    rng = random.Random(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), rng.random()))
    batches_per_epoch = math.ceil(len(ids) / config.batch_size)
    total = max(1, math.ceil(config.epochs * batches_per_epoch))
    warmup = max(1, total // 20)
    optimizer = torch.optim.AdamW([{"params": head.parameters(), "lr": config.lr_head},
                                   {"params": params, "lr": config.lr_layers}], weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    log.info("MLM pre-training on %d texts: %d steps (%.2f epochs of %d batches), %d trainable encoder tensors",
             len(texts), total, config.epochs, batches_per_epoch, len(params))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="MLM pre-training", unit="batch")
    backbone.train()
    head.transform.train()
    started, cpu_started = time.monotonic(), time.process_time()
    losses: list[float] = []
    history: list[dict[str, float]] = []
    step, stopped_by_time = 0, False
    while step < total and not stopped_by_time:
        batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
        rng.shuffle(batches)
        for batch in batches:
            if step >= total:
                break
            width = max(len(ids[i]) for i in batch)
            input_ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                input_ids[row, :len(ids[i])] = torch.tensor(ids[i])
                mask[row, :len(ids[i])] = 1
            special = torch.isin(input_ids, specials) | (mask == 0)
            corrupted, labels = mask_tokens(input_ids, special, head.vocab_size, tokenizer.mask_token_id,
                                            config.mask_probability, generator)
            chosen = labels != IGNORE
            step += 1
            if chosen.any():
                hidden = backbone(input_ids=corrupted.to(device), attention_mask=mask.to(device)).last_hidden_state
                logits = head.logits(hidden[chosen.to(device)])
                loss = torch.nn.functional.cross_entropy(logits.float(), labels[chosen].to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([*params, *head.parameters()], 1.0)
                optimizer.step()
                losses.append(float(loss.item()))
            scheduler.step()
            if bar is not None:
                bar.update(1)
                if losses:
                    bar.set_postfix(loss=f"{losses[-1]:.3f}")
            if step % config.log_every == 0 or step == total:
                recent = losses[-config.log_every:]
                mean = sum(recent) / max(1, len(recent))
                history.append({"step": step, "epoch": step / batches_per_epoch, "loss": mean,
                                "minutes": (time.monotonic() - started) / 60})
                log.info("MLM step %d/%d loss %.4f", step, total, mean)
            if config.max_minutes and time.monotonic() - started > 60 * config.max_minutes:
                stopped_by_time = True
                log.info("MLM pre-training stopped by the time budget at step %d of %d", step, total)
                break
    if bar is not None:
        bar.close()
    if not losses:
        raise InvalidInput("MLM pre-training chose no token to mask (texts too short)")
    head_n = min(config.log_every, len(losses))
    result = MlmResult(len(texts), step, total, time.monotonic() - started, time.process_time() - cpu_started,
                       sum(losses[:head_n]) / head_n, sum(losses[-head_n:]) / head_n, stopped_by_time, history)
    log.info("MLM pre-training: %d steps in %.1f min, loss %.3f -> %.3f", step, result.seconds / 60,
             result.first_loss, result.last_loss)
    return result
