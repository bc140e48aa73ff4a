"""``ais topics``: fit topics on a corpus, show them, assign new texts, reduce, evaluate on AG News."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Topic discovery on MiniLM embeddings + c-TF-IDF keywords (BERTopic-style).",
                  no_args_is_help=True)
log = logging.getLogger(__name__)

DeviceOpt = Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N")]
WeightsOpt = Annotated[str | None, typer.Option(help="fitted topic folder (default: shipped AG News topics)")]
ThreadsOpt = Annotated[int, typer.Option(help="CPU threads for torch (1 is fastest on a busy machine)")]
TextWeightOpt = Annotated[float | None, typer.Option(help="share of the keyword (TF-IDF) view vs the embedding view "
                                                           "(default: the one chosen for the encoder, 0.5 for MiniLM)")]
MethodOpt = Annotated[str, typer.Option(help="initial clustering: kmeans, agglomerative or hdbscan")]
CacheOpt = Annotated[Path | None, typer.Option(help="an .npz file keeping the corpus embeddings between runs")]
EncoderOpt = Annotated[str | None, typer.Option(help="bundled encoder to embed with (nlp/encoders.py; default "
                                                     "all-MiniLM-L6-v2)")]


def _threads(n: int) -> None:
    import torch

    torch.set_num_threads(max(1, n))


def _model(weights: str | None, device: str, load: bool = True, encoder: str | None = None):
    from nlp.topics.model import TopicModel

    model = TopicModel(weights, device=device, **({"encoder": encoder} if encoder else {}))
    return model.load() if load else model


def _print_topics(model, n_words: int = 10, docs: int = 1) -> None:
    for topic in model.topics(n_words):
        typer.echo(f"topic {topic.id:3d}  size {topic.size:6d}  {', '.join(k.word for k in topic.keywords)}")
        for doc in topic.representative_docs[:docs]:
            typer.echo(f"          e.g. {doc[:140]}")


SeedOpt = Annotated[list[str] | None, typer.Option("--seed-words", help="guided topics: comma-separated keywords of "
                                                                      "one wanted topic; repeat per topic")]


def _options(method: str, text_weight: float | None, seed: int, seed_words: list[str] | None = None,
             encoder: str | None = None):
    from nlp.topics.fit import FitOptions
    from nlp.topics.model import DEFAULT_TOPICS_ENCODER, default_text_weight

    if text_weight is None:
        text_weight = default_text_weight(encoder or DEFAULT_TOPICS_ENCODER)
    seeds = tuple(tuple(w.strip() for w in group.split(",") if w.strip()) for group in seed_words or [])
    return FitOptions(method=method, text_weight=text_weight, seed=seed,  # type: ignore[arg-type]
                      seed_words=tuple(s for s in seeds if s))


@app.command()
def fit(
    data: Annotated[Path, typer.Option(help="CSV/TSV with a header")],
    out: Annotated[Path, typer.Option(help="folder to save the fitted topics")],
    text_col: str = "text",
    date_col: Annotated[str | None, typer.Option(help="ISO date column: also prints topics over time")] = None,
    n_topics: Annotated[int | None, typer.Option(help="topics wanted (default: from corpus size)")] = None,
    method: MethodOpt = "kmeans",
    text_weight: TextWeightOpt = None,
    seed: int = 0,
    seed_words: SeedOpt = None,
    cache: CacheOpt = None,
    encoder: EncoderOpt = None,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = 1,
) -> None:
    """Fit topics on a corpus, save them, and print keywords, sizes and an example per topic."""
    from nlp.topics.datasets import read_corpus

    _threads(threads)
    corpus = read_corpus(data, text_col, date_col=date_col)
    model = _model(None, device, load=False, encoder=encoder).fit(corpus.texts, n_topics, dates=corpus.dates or None,
                                                 options=_options(method, text_weight, seed, seed_words, encoder),
                                                 progress=True,
                                                 cache=cache)
    model.save(out)
    _print_topics(model)
    for row in model.over_time:
        typer.echo(f"{row.period}  topic {row.topic:3d}  {row.count:5d} ({row.share:.0%})  {', '.join(row.keywords)}")
    typer.echo(f"saved {model.version} to {out}")


@app.command()
def show(weights: WeightsOpt = None, n_words: int = 10, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the topics of a fitted model: keywords, sizes, representative documents."""
    model = _model(weights, "cpu")
    if as_json:
        typer.echo(json.dumps([t.model_dump(mode="json") for t in model.topics(n_words)], indent=2))
    else:
        _print_topics(model, n_words, docs=3)


@app.command()
def predict(
    texts: Annotated[list[str] | None, typer.Argument(help="texts to assign")] = None,
    file: Annotated[Path | None, typer.Option(help="a UTF-8 file with one text per line")] = None,
    weights: WeightsOpt = None,
    device: DeviceOpt = "auto",
) -> None:
    """Assign texts to the fitted topics; one JSON result per line (what the service returns)."""
    from nlp.inputs import gather_texts

    items = gather_texts(texts, file)
    model = _model(weights, device)
    for start in range(0, len(items), model.max_batch_items):
        for text, result in zip(items[start:start + model.max_batch_items],
                                model.predict(items[start:start + model.max_batch_items])):
            typer.echo(json.dumps({"text": text[:200], **result.model_dump(mode="json")}))


@app.command()
def reduce(
    n_topics: Annotated[int, typer.Option(help="topics to keep")],
    out: Annotated[Path, typer.Option(help="folder for the reduced model")],
    weights: WeightsOpt = None,
) -> None:
    """Merge the most similar topics of a fitted model until ``n_topics`` remain."""
    model = _model(weights, "cpu").reduce(n_topics)
    model.save(out)
    _print_topics(model)


@app.command()
def merge(
    topics: Annotated[str, typer.Option(help="comma-separated topic ids to merge into one, e.g. 2,5")],
    out: Annotated[Path, typer.Option(help="folder for the merged model")],
    weights: WeightsOpt = None,
) -> None:
    """Merge chosen topics of a fitted model into one (exact: their statistics are summed)."""
    model = _model(weights, "cpu").merge([int(t) for t in topics.split(",") if t.strip()])
    model.save(out)
    _print_topics(model)


@app.command()
def evaluate(
    data: Annotated[Path | None, typer.Option(help="labelled corpus: a TSV/CSV with text and label columns, or a "
                                                   "folder of <class>/<doc>.txt (default: AG News dev)")] = None,
    text_col: Annotated[str | None, typer.Option(help="text column (a 0-based number with --no-header)")] = None,
    label_col: Annotated[str | None, typer.Option(help="label column (a 0-based number with --no-header)")] = None,
    header: Annotated[bool, typer.Option(help="the table's first row names the columns")] = True,
    data_format: Annotated[str, typer.Option("--format", help="auto, folders, tsv or csv")] = "auto",
    n_topics: Annotated[int | None, typer.Option(help="default: number of distinct labels")] = None,
    limit: Annotated[int | None, typer.Option(help="use the first N documents only (after --skip)")] = None,
    skip: Annotated[int, typer.Option(help="leave out the first N documents (--limit 5000 and --skip 5000 give "
                                           "the two halves of AG News dev that settings are chosen on)")] = 0,
    method: MethodOpt = "kmeans",
    text_weight: TextWeightOpt = None,
    seed: int = 0,
    seed_words: SeedOpt = None,
    cache: CacheOpt = None,
    encoder: EncoderOpt = None,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = 1,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Fit on the corpus (labels unseen), then NMI/ARI vs labels, NPMI coherence, diversity and keywords."""
    from nlp.topics.datasets import agnews, read_labelled_corpus

    _threads(threads)
    if data:
        t_col: str | int = (text_col or "text") if header else int(text_col or 0)
        l_col: str | int = (label_col or "label") if header else int(label_col or 1)
        corpus = read_labelled_corpus(data, t_col, l_col, header=header, data_format=data_format)
    else:
        corpus = agnews()
    if skip or limit:
        corpus = corpus.rows(skip, skip + limit if limit else None)
    model = _model(None, device, load=False, encoder=encoder)
    metrics = model.evaluate(corpus, n_topics, options=_options(method, text_weight, seed, seed_words, encoder), progress=True,
                             cache=cache)
    if as_json:
        typer.echo(metrics.model_dump_json(indent=2))
        return
    typer.echo(metrics.table())
    typer.echo("")
    _print_topics(model)
    typer.echo("topic vs label counts: " + json.dumps(metrics.details["topic_vs_label"]))
    typer.echo(f"(encoder {model.encoder_name}; intervals: bootstrap over documents; kmeans_minilm: plain k-means "
               "on the same embeddings)")


@app.command("build-default")
def build_default(
    out: Annotated[Path | None, typer.Option(help="default: the package's weights folder")] = None,
    n_topics: int = 4,
    cache: CacheOpt = None,
    encoder: EncoderOpt = None,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = 1,
) -> None:
    """Rebuild the shipped default: 4 topics fitted on AG News dev (needs ../shared/data)."""
    from nlp.topics.datasets import agnews

    _threads(threads)
    target = out or Path(__file__).resolve().parent / "weights"
    model = _model(None, device, load=False, encoder=encoder).fit(agnews().texts, n_topics, progress=True, cache=cache)
    model.meta["trained_on"] = "AG News dev (10,000 news items), labels unused"
    model.save(target)
    _print_topics(model)
    typer.echo(f"saved {model.version} to {target}")
