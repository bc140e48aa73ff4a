"""The learned receipt-field extractor: per field, a logistic ranker over the candidates of ``field_features``.

Trained on labelled receipts (words as the reader returned them, key JSON as labels) by
``ais ocr train-fields``; the weights, feature names and the word lexicon are one small JSON file
shipped in the package (``receipt_fields_model.json``), read with numpy only. It applies to the
bundled receipt field set (company, date, address, total); any other field set uses the rules.

Labels: a ``total``/``date`` candidate is right when its value equals the key after normalisation;
for ``company``/``address`` the candidate spans closest to the key (character edit distance of the
normalised texts, at least half the characters right) are the positives, because a span with one
misread character is still the right span, and the lexicon then corrects the characters.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.errors import ConfigError
from vision.ocr.field_features import FEATURES, FIELDS, Candidate, Lexicon, Page, candidates
from vision.ocr.field_vocabulary import Vocabulary
from vision.ocr.fields import Found, Word, extract_rules, group_rows, normalise_value, same_value
from vision.ocr.metrics import edit_distance
from vision.ocr.schemas import FieldSet

log = logging.getLogger(__name__)

DEFAULT_MODEL = Path(__file__).with_name("receipt_fields_model.json")
MODEL_VERSION = 1


@dataclass(frozen=True)
class LogisticScorer:
    """A standardised logistic-regression scorer over one field's features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.coef + self.intercept

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, l2: float, iterations: int = 50) -> LogisticScorer:
        """Newton (IRLS) steps of L2-penalised logistic regression; the intercept is not penalised."""
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        scale[scale < 1e-9] = 1.0
        x = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
        w = np.zeros(x.shape[1])
        penalty = np.full(x.shape[1], l2)
        penalty[-1] = 0.0
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
            gradient = x.T @ (p - labels) + penalty * w
            hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-6)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-6:
                break
        return cls(mean, scale, w[:-1], float(w[-1]))

    def to_json(self) -> dict[str, object]:
        return {"mean": self.mean.round(6).tolist(), "scale": self.scale.round(6).tolist(),
                "coef": self.coef.round(6).tolist(), "intercept": round(self.intercept, 6)}

    @classmethod
    def from_json(cls, data: dict) -> LogisticScorer:  # type: ignore[type-arg]
        return cls(np.array(data["mean"], dtype=float), np.array(data["scale"], dtype=float),
                   np.array(data["coef"], dtype=float), float(data["intercept"]))


@dataclass
class FieldModel:
    """Scorers per field and the lexicon their features and corrections use."""

    scorers: dict[str, LogisticScorer]
    lexicon: Lexicon
    info: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=lambda: {f: "learned" for f in FIELDS})  # or "rules"
    # company/address: similarity to a known merchant's labelled value that replaces the reading (> 1: never)
    snap: dict[str, float] = field(default_factory=lambda: {"company": 1.1, "address": 1.1})
    company_from_address: bool = False  # a known merchant's address found: its one labelled company name

    def _merchant_company(self, address: str) -> str | None:
        names = {c for c, a in self.lexicon.merchants if a == address}
        return names.pop() if len(names) == 1 else None

    def _snapped(self, name: str, options: Sequence[Candidate]) -> tuple[Candidate, str] | None:
        """The candidate closest to a known merchant's labelled value, and that value, when close enough."""
        threshold = self.snap.get(name, 1.1)
        if threshold > 1.0:
            return None
        known = [(k, norm, Counter(norm)) for k in self.lexicon.known.get(name, ())
                 if (norm := normalise_value(name, k) or "")]
        best: tuple[float, Candidate, str] | None = None
        for option in options:
            text = normalise_value(name, option.found.value) or ""
            chars = Counter(text)
            for value, norm, norm_chars in known:
                allowed = (1 - threshold) * max(len(norm), len(text))
                if abs(len(norm) - len(text)) > allowed:
                    continue
                # each edit changes the character counts by at most 2: a cheap bound skips most pairs
                if ((chars - norm_chars).total() + (norm_chars - chars).total()) / 2 > allowed:
                    continue
                similarity = 1.0 - edit_distance(norm, text) / max(len(norm), len(text))
                if similarity >= threshold and (best is None or similarity > best[0]):
                    best = (similarity, option, value)
        return (best[1], best[2]) if best else None

    def extract(self, words: Sequence[Word], field_set: FieldSet) -> dict[str, Found | None]:
        """The receipt fields of one page: the best-scored candidate of each field (None when there is none)."""
        rows = group_rows([w for w in words if w.text.strip()])
        page = Page.of(rows)
        found: dict[str, Found | None] = {}
        snapped_address: str | None = None
        ruled = extract_rules(words, field_set) if "rules" in self.sources.values() else {}
        for spec in field_set.fields:
            options = candidates(spec.name, field_set, page, self.lexicon) if rows else []
            rule_hit = ruled.get(spec.name) if self.sources.get(spec.name) == "rules" else None
            if rule_hit is not None:  # the rules' value as they found it, words corrected from the lexicon
                value = self.lexicon.words.correct(rule_hit.value) if spec.name in ("company", "address") \
                    else rule_hit.value
                hit = Candidate(rule_hit, np.zeros(0))
                confidence = rule_hit.confidence
            elif not options:
                found[spec.name] = None
                continue
            else:
                scores = self.scorers[spec.name].scores(np.stack([c.features for c in options]))
                best = int(np.argmax(scores))
                hit = options[best]
                value = hit.found.value
                confidence = float(1.0 / (1.0 + np.exp(-scores[best])))
            snapped = self._snapped(spec.name, options) if spec.name in ("company", "address") else None
            if snapped is not None:
                hit, value = snapped
            found[spec.name] = Found(hit.found.text, value, min(hit.found.confidence, confidence),
                                     hit.found.box, hit.found.currency)
            if spec.name == "address" and snapped is not None:
                snapped_address = value
        company = found.get("company")
        if self.company_from_address and company is not None and snapped_address is not None:
            name = self._merchant_company(snapped_address)
            if name is not None:
                found["company"] = Found(company.text, name, company.confidence, company.box)
        return found

    def save(self, path: str | Path) -> None:
        data = {"version": MODEL_VERSION, "features": {f: list(FEATURES[f]) for f in FIELDS},
                "scorers": {f: s.to_json() for f, s in self.scorers.items()}, "lexicon": self.lexicon.to_json(),
                "info": self.info, "sources": self.sources, "snap": self.snap,
                "company_from_address": self.company_from_address}
        Path(path).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def bundled(cls) -> FieldModel:
        """The bundled model, parsed once per version of its file (extraction asks for it on every page)."""
        try:
            stamp = DEFAULT_MODEL.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = -1  # load() raises the ConfigError that says how to train it
        return _load_once(DEFAULT_MODEL, stamp)

    @classmethod
    def load(cls, path: str | Path | None = None) -> FieldModel:
        """Read a model file (the bundled one by default); a missing, old or mismatched file raises ConfigError."""
        source = Path(path) if path is not None else DEFAULT_MODEL
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"field model {str(source)!r} does not exist; train it with `ais ocr train-fields`") \
                from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"field model {str(source)!r} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("features"), dict) or \
                data.get("version") != MODEL_VERSION or any(tuple(data["features"].get(f, ())) != FEATURES[f]
                                                       for f in FIELDS):
            raise ConfigError(f"field model {str(source)!r} was trained with other features; retrain it with "
                              f"`ais ocr train-fields`")
        try:  # a file of the right version that lacks a part
            return cls({f: LogisticScorer.from_json(data["scorers"][f]) for f in FIELDS},
                       Lexicon.from_json(data["lexicon"]), dict(data.get("info", {})), dict(data["sources"]),
                       {k: float(v) for k, v in data["snap"].items()}, bool(data.get("company_from_address", False)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"field model {str(source)!r} is incomplete or malformed ({exc!r}); retrain it with "
                              f"`ais ocr train-fields`") from exc


# -- training -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """One labelled receipt: its words as read, its key fields and the transcription of its lines."""

    name: str
    words: list[Word]
    key: dict[str, str]
    transcript: list[str]


def build_lexicon(examples: Sequence[Example]) -> Lexicon:
    """Vocabularies from the examples' transcriptions and key fields (never from what the reader returned)."""
    words = Vocabulary.build([*(t for e in examples for t in e.transcript),
                              *(e.key.get(f, "") for e in examples for f in ("company", "address"))])
    known = {f: tuple(sorted({e.key[f].strip().upper() for e in examples if e.key.get(f, "").strip()}))
             for f in ("company", "address")}
    merchants = tuple(sorted({(e.key["company"].strip().upper(), e.key["address"].strip().upper()) for e in examples
                              if e.key.get("company", "").strip() and e.key.get("address", "").strip()}))
    return Lexicon(words, Vocabulary.build(e.key.get("company", "") for e in examples),
                   Vocabulary.build(e.key.get("address", "") for e in examples), known, merchants)


def _similarity(name: str, truth: str, value: str) -> float:
    a, b = normalise_value(name, truth) or "", normalise_value(name, value) or ""
    return 1.0 - edit_distance(a, b) / max(1, len(a), len(b))


def labels(name: str, truth: str, options: Sequence[Candidate]) -> np.ndarray:
    """1 for the right candidates (see the module docstring), else 0."""
    if name in ("total", "date"):
        return np.array([float(same_value(name, truth, c.found.value)) for c in options])
    similarity = np.array([_similarity(name, truth, c.found.value) for c in options])
    if not len(similarity) or similarity.max() < 0.5:
        return np.zeros(len(options))
    return (similarity >= similarity.max() - 1e-9).astype(float)


def _field_set() -> FieldSet:
    from vision.ocr.fields import load_field_set

    return load_field_set()


def fit(examples: Sequence[Example], l2: float = 1.0, sources: dict[str, str] | None = None,
        snap: dict[str, float] | None = None, company_from_address: bool = False,
        progress: Callable[[int], None] | None = None) -> FieldModel:
    """Train every field's scorer on the examples (receipts with no right candidate teach nothing and are skipped)."""
    field_set = _field_set()
    lexicon = build_lexicon(examples)
    pages = [Page.of(group_rows([w for w in e.words if w.text.strip()])) for e in examples]
    scorers = {}
    for name in FIELDS:
        xs, ys = [], []
        for example, page in zip(examples, pages, strict=True):
            if not example.key.get(name):
                continue
            options = candidates(name, field_set, page, lexicon)
            y = labels(name, example.key[name], options)
            if y.any():
                xs.append(np.stack([c.features for c in options]))
                ys.append(y)
        if not xs:
            raise ConfigError(f"no training receipt has a right candidate for field {name!r}")
        scorers[name] = LogisticScorer.fit(np.vstack(xs), np.concatenate(ys), l2)
        if progress:
            progress(1)
    return FieldModel(scorers, lexicon, {"l2": l2, "n_receipts": len(examples)},
                      dict(sources or {f: "learned" for f in FIELDS}), dict(snap or {"company": 1.1, "address": 1.1}),
                      company_from_address)


def score_extraction(examples: Sequence[Example], extract: Callable[[Example], dict[str, Found | None]]
                     ) -> dict[str, list[bool]]:
    """Exact-match outcomes per field of an extractor over labelled examples (fields a key lacks are skipped)."""
    outcomes: dict[str, list[bool]] = {name: [] for name in FIELDS}
    for example in examples:
        found = extract(example)
        for name in FIELDS:
            if example.key.get(name):
                hit = found.get(name)
                outcomes[name].append(same_value(name, example.key[name], hit.value if hit else None))
    return outcomes


def cross_validate(examples: Sequence[Example], l2: float, sources: dict[str, str] | None = None,
                   snap: dict[str, float] | None = None, folds: int = 5,
                   company_from_address: bool = False) -> dict[str, list[bool]]:
    """Learned extractor's outcomes with each receipt scored by a model (and lexicon) trained without it."""
    field_set = _field_set()
    order = list(range(len(examples)))
    outcomes: dict[str, list[bool]] = {name: [] for name in FIELDS}
    for fold in range(folds):
        held = [examples[k] for k in order if k % folds == fold]
        model = fit([examples[k] for k in order if k % folds != fold], l2, sources, snap, company_from_address)
        for name, values in score_extraction(held, lambda e, m=model: m.extract(e.words, field_set)).items():
            outcomes[name].extend(values)
    return outcomes


def read_examples(folder: Path, split: str, cache: Path | None = None, device: str = "cpu",
                  progress: Callable[[int], None] | None = None, reading: str = "tesseract") -> list[Example]:
    """Labelled SROIE receipts of a split read as ``OcrReader.extract`` reads them; ``cache`` reuses readings
    (``<cache>/<reading>/<name>.json``, the layout of ``evaluate --cache``).

    ``reading="tesseract"``: Tesseract ``--psm 6``, words of confidence >= 0.4, Tesseract's lines (the
    receipt settings of ``extract``); another name is that engine with Tesseract-style lines
    (``tesseract_layout="tesseract"``), e.g. the readings ``evaluate --engine ppocr --layout tesseract`` cached.
    """
    from core.images import load_image
    from vision.ocr.labelled import read_labelled, split_of
    from vision.ocr.labelled_eval import _cached, reading_of_result
    from vision.ocr.reader import EXTRACT_MIN_CONFIDENCE, EXTRACT_PSM, OcrReader

    labelled = read_labelled(folder, "sroie")
    pages = [p for p in labelled.pages if p.key and (split == "all" or split_of(p.name) == split)]
    if not pages:
        raise ConfigError(f"no labelled receipt of {folder} falls in split {split!r}")
    reader: OcrReader | None = None

    def read(page):  # type: ignore[no-untyped-def]
        nonlocal reader
        if reader is None and reading == "tesseract":
            reader = OcrReader(engine="tesseract", device=device, tesseract_psm=EXTRACT_PSM,
                               tesseract_layout="tesseract", min_confidence=EXTRACT_MIN_CONFIDENCE).load()
        elif reader is None:
            reader = OcrReader(engine=reading, device=device, tesseract_layout="tesseract").load()
        return reading_of_result(reader.predict([load_image(page.image_path)])[0])

    examples = []
    for page in pages:
        read_page = _cached(cache, reading, page, read)
        words = [Word(t, b, 1.0, k) for k, line in enumerate(read_page.lines) for t, b in line.words]
        examples.append(Example(page.name, words, dict(page.key or {}), [line.text for line in page.lines]))
        if progress:
            progress(1)
    return examples


@lru_cache(maxsize=4)
def _load_once(path: Path, stamp: int) -> FieldModel:
    """``FieldModel.load`` memoised by file and modification time (a failure is not cached)."""
    return FieldModel.load(path)
