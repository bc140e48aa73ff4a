"""Issue 26 research: unsupervised adaptation of the topics encoder to a corpus (labels are never used), then
the unchanged topics evaluation on the adapted embeddings. Measured on AG News dev it LOWERED NMI (0.656 ->
0.610, nlp/topics/README.md "Adapting the encoder to the corpus"), so it is not a product option; this
module keeps the experiment reproducible. One JSON line per run (NMI with its interval, NPMI, baselines, CPU s):

    python -m benchmarks.topics_adapt --half A --positives neighbours --epochs 0.5 --lr 5e-5
    python -m benchmarks.topics_adapt --half B --positives dropout --epochs 1 --lr 5e-5
    python -m benchmarks.topics_adapt --half whole        # all 10,001 items: read once, for the chosen variant

Half A = items 0-4,999, half B = items 5,000-10,000 (settings are chosen on these, never on the whole file).

Unsupervised SimCSE (Gao et al. 2021): each text goes through the encoder twice with dropout on; the two
mean-pooled, L2-normalised vectors are a positive pair and the other texts of the batch are negatives
(InfoNCE, temperature 0.05). With ``positives="neighbours"`` the second view of a text is instead one of its
``neighbours`` nearest documents in the fit's joint view (starting embedding + LSA of the TF-IDF words, half
each), so documents that share words and meaning are pulled together. Optionally (``cluster_weight`` > 0) an
SCCL-style clustering term (Zhang et al. 2021) is added: a Student-t soft assignment of each text to
``n_clusters`` centres initialised by k-means on the starting embeddings, pulled towards its sharpened target
distribution (KL(P || Q)). The adapted encoder is saved as a Hugging Face folder (weights + tokenizer) that
``SentenceEncoder(path=...)`` loads offline.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.device import Placement
from core.errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdaptOptions:
    """How to adapt the encoder; defaults: the variant best on the halves of AG News dev, which then lost
    0.046 NMI on the whole file (nlp/topics/README.md)."""

    epochs: float = 0.5          # passes over the corpus (fractions allowed)
    batch_size: int = 64         # texts per step (each is encoded twice)
    lr: float = 5e-5
    max_length: int = 64         # tokens per text while training (embedding afterwards reads every window)
    temperature: float = 0.05
    positives: Literal["dropout", "neighbours"] = "neighbours"
    neighbours: int = 10         # candidates per text for positives="neighbours"
    cluster_weight: float = 0.0  # weight of the SCCL clustering term (0: SimCSE only)
    n_clusters: int = 4          # centres of the clustering term
    max_steps: int | None = None  # a hard cap on steps (tests, quick looks)
    seed: int = 0

    def validate(self) -> None:
        if not self.epochs > 0:
            raise InvalidInput(f"adaptation epochs must be > 0, got {self.epochs}")
        if self.batch_size < 2:
            raise InvalidInput(f"adaptation needs batches of at least 2 texts (in-batch negatives), got {self.batch_size}")
        if not 8 <= self.max_length <= 512:
            raise InvalidInput(f"adaptation max_length must be within 8..512, got {self.max_length}")
        if self.positives not in ("dropout", "neighbours") or self.neighbours < 1:
            raise InvalidInput(f"positives must be dropout or neighbours (neighbours >= 1), got {self.positives!r}")
        if self.cluster_weight < 0 or self.n_clusters < 2:
            raise InvalidInput("cluster_weight must be >= 0 and n_clusters >= 2")


@dataclass
class AdaptResult:
    """What the adaptation did (written with each result)."""

    texts: int
    steps: int
    seconds: float
    cpu_seconds: float
    first_loss: float
    last_loss: float
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"texts": self.texts, "steps": self.steps, "seconds": round(self.seconds, 1),
                "cpu_seconds": round(self.cpu_seconds, 1), "first_loss": round(self.first_loss, 4),
                "last_loss": round(self.last_loss, 4), "options": self.options}


def simcse_loss(z1: Any, z2: Any, temperature: float) -> Any:
    """InfoNCE of normalised views: row i of ``z1`` should match row i of ``z2`` among all rows of ``z2``."""
    import torch

    logits = z1 @ z2.T / temperature
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(z1), device=z1.device))


def student_t(z: Any, centres: Any, alpha: float = 1.0) -> Any:
    """Soft assignment of rows of ``z`` to ``centres`` (DEC / SCCL's Student-t kernel), rows sum to 1."""
    import torch

    dist = torch.cdist(z, centres).pow(2)
    q = (1.0 + dist / alpha).pow(-(alpha + 1) / 2)
    return q / q.sum(1, keepdim=True)


def cluster_loss(q: Any) -> Any:
    """KL(P || Q) with P the sharpened target q^2 / cluster frequency (computed without gradient)."""
    import torch

    with torch.no_grad():
        weight = q.pow(2) / q.sum(0, keepdim=True)
        p = weight / weight.sum(1, keepdim=True)
    return torch.nn.functional.kl_div(q.clamp_min(1e-12).log(), p, reduction="batchmean")


def _batch_tensors(ids: list[list[int]], rows: list[int], pad_id: int, device: str) -> tuple[Any, Any]:
    import torch

    width = max(len(ids[i]) for i in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, i in enumerate(rows):
        input_ids[row, :len(ids[i])] = torch.tensor(ids[i])
        mask[row, :len(ids[i])] = 1
    return input_ids.to(device), mask.to(device)


def _starting_embeddings(model: Any, ids: list[list[int]], pad_id: int, device: str) -> Any:
    """Normalised embeddings of the texts (training window) before any update."""
    import torch

    from nlp.encoder import mean_pool

    model.eval()
    vectors = []
    with torch.inference_mode():
        for start in range(0, len(ids), 128):
            rows = list(range(start, min(start + 128, len(ids))))
            input_ids, mask = _batch_tensors(ids, rows, pad_id, device)
            hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            vectors.append(torch.nn.functional.normalize(mean_pool(hidden, mask), dim=1).float().cpu())
    model.train()
    return torch.cat(vectors).numpy()


def joint_neighbours(texts: list[str], embeddings: Any, k: int, seed: int = 0) -> Any:
    """Indices (``n x k``) of each text's nearest other texts in the joint view the fit clusters on:
    the embedding and the 100-d LSA of the TF-IDF words and phrases, each unit-length, half weight each."""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD

    from nlp.topics.ctfidf import fit_vocabulary
    from nlp.topics.fit import normalise_rows

    vocab, counts = fit_vocabulary(texts)
    tfidf = vocab.tfidf(counts)
    dims = min(100, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    views = [normalise_rows(embeddings)]
    if dims >= 2:
        views.append(normalise_rows(TruncatedSVD(dims, random_state=seed).fit_transform(tfidf)))
    joint = (np.hstack(views) / np.sqrt(len(views))).astype(np.float32)
    k = min(k, len(texts) - 1)
    out = np.zeros((len(texts), k), dtype=np.int64)
    for start in range(0, len(joint), 1024):
        sims = joint[start:start + 1024] @ joint.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf  # not itself
        out[start:start + len(sims)] = np.argpartition(-sims, k, axis=1)[:, :k]
    return out


def adapt_encoder(texts: list[str], source: Path, out: Path, options: AdaptOptions, placement: Placement,
                  progress: bool = False) -> AdaptResult:
    """Adapt the encoder in ``source`` to ``texts`` (unsupervised) and save it to ``out``; trains in fp32."""
    import torch

    from core.device import Placement as _Placement
    from nlp.encoder import load_backbone, mean_pool

    options.validate()
    unique = [t for t in dict.fromkeys(texts) if t.strip()]
    if len(unique) < options.batch_size:
        raise InvalidInput(f"encoder adaptation needs at least batch_size={options.batch_size} distinct texts, "
                           f"got {len(unique)}")
    torch.manual_seed(options.seed)
    tokenizer, model = load_backbone(_Placement(placement.device, "fp32"), source)
    device = placement.device
    ids = tokenizer(unique, truncation=True, max_length=options.max_length)["input_ids"]
    params: list[Any] = list(model.parameters())
    centres, neighbours = None, None
    if options.cluster_weight > 0 or options.positives == "neighbours":
        start_embeddings = _starting_embeddings(model, ids, tokenizer.pad_token_id, device)
        if options.positives == "neighbours":
            neighbours = joint_neighbours(unique, start_embeddings, options.neighbours, options.seed)
        if options.cluster_weight > 0:
            from sklearn.cluster import KMeans

            kmeans = KMeans(n_clusters=options.n_clusters, n_init=10, random_state=options.seed).fit(start_embeddings)
            centres = torch.nn.Parameter(torch.tensor(kmeans.cluster_centers_, dtype=torch.float32, device=device))
            params.append(centres)
    per_epoch = math.ceil(len(ids) / options.batch_size)
    total = max(1, math.ceil(options.epochs * per_epoch))
    if options.max_steps:
        total = min(total, options.max_steps)
    optimizer = torch.optim.AdamW(params, lr=options.lr, weight_decay=0.0)
    rng = random.Random(options.seed)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="adapting encoder", unit="batch")
    log.info("adapting the encoder on %d texts: %d steps of %d (%s)", len(ids), total, options.batch_size,
             "SimCSE + clustering" if centres is not None else "SimCSE")
    model.train()
    started, cpu_started = time.monotonic(), time.process_time()
    losses: list[float] = []
    step = 0
    while step < total:
        order = list(range(len(ids)))
        rng.shuffle(order)
        for start in range(0, len(order) - options.batch_size + 1, options.batch_size):
            if step >= total:
                break
            rows = order[start:start + options.batch_size]
            # both views in one forward pass: dropout masks differ per row
            partners = rows if neighbours is None else [int(neighbours[i, rng.randrange(neighbours.shape[1])])
                                                        for i in rows]
            input_ids, mask = _batch_tensors(ids, rows + partners, tokenizer.pad_token_id, device)
            hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            pooled = mean_pool(hidden, mask)
            z = torch.nn.functional.normalize(pooled, dim=1)
            z1, z2 = z[:len(rows)], z[len(rows):]
            loss = (simcse_loss(z1, z2, options.temperature) + simcse_loss(z2, z1, options.temperature)) / 2
            if centres is not None:
                loss = loss + options.cluster_weight * cluster_loss(student_t(z1, centres))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            losses.append(float(loss.item()))
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
    if bar is not None:
        bar.close()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    head = min(20, len(losses))
    result = AdaptResult(len(ids), step, time.monotonic() - started, time.process_time() - cpu_started,
                         sum(losses[:head]) / head, sum(losses[-head:]) / head, asdict(options))
    log.info("adapted the encoder: %d steps in %.0f s (%.0f CPU s), loss %.3f -> %.3f", step, result.seconds,
             result.cpu_seconds, result.first_loss, result.last_loss)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--half", choices=["A", "B", "whole"], required=True)
    parser.add_argument("--epochs", type=float, default=0.5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--positives", choices=["dropout", "neighbours"], default="neighbours")
    parser.add_argument("--neighbours", type=int, default=10)
    parser.add_argument("--cluster-weight", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("topics_adapt.jsonl"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    import torch

    from core.device import resolve_placement
    from nlp.encoder import SentenceEncoder, encoder_path
    from nlp.topics.cache import write_cache
    from nlp.topics.datasets import agnews
    from nlp.topics.model import CORPUS_LIMITS, TopicModel

    torch.set_num_threads(1)
    corpus = agnews()
    if args.half != "whole":
        corpus = corpus.rows(0, 5000) if args.half == "A" else corpus.rows(5000, None)
    cleaned = TopicModel._clean(corpus.texts, CORPUS_LIMITS)
    options = AdaptOptions(epochs=args.epochs, batch_size=args.batch, lr=args.lr, max_length=args.max_length,
                           positives=args.positives, neighbours=args.neighbours, cluster_weight=args.cluster_weight,
                           seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache = Path(tmp) / "encoder", Path(tmp) / "embeddings.npz"
        result = adapt_encoder(cleaned, encoder_path(), folder, options, resolve_placement("cpu"), progress=True)
        started = time.process_time()
        embeddings = SentenceEncoder(device="cpu", path=folder).load().encode(cleaned, max_chunks=8).embeddings
        embed_cpu = time.process_time() - started
        # the unchanged evaluation reads the adapted embeddings through its cache (keyed as MiniLM's, same texts)
        write_cache(cache, cleaned, 256, embeddings, 8, "all-MiniLM-L6-v2")
        metrics = TopicModel(device="cpu").evaluate(corpus, 4, cache=cache, n_resamples=200)
    row = {"half": args.half, "options": result.options, "nmi": metrics.values["nmi"],
           "nmi_interval": metrics.intervals["nmi"], "ari": metrics.values["ari"], "npmi": metrics.values["npmi"],
           "diversity": metrics.values["diversity"], "kmeans_nmi": metrics.baselines["kmeans_minilm"]["nmi"],
           "supervised_nmi": metrics.baselines.get("logreg_5fold_supervised", {}).get("nmi"),
           "adapt": result.as_dict(), "embed_cpu_seconds": embed_cpu, "topic_vs_label": metrics.details["topic_vs_label"]}
    print(json.dumps(row))
    with args.out.open("a") as handle:
        handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
