"""Word + character TF-IDF with logistic regression: the plain-library baseline, and an optional lexical head.

As a baseline it is what a client gets with scikit-learn alone, so every fine-tuned model is reported
beside it on the same held-out split (fitted on the same rows). As a head (``--lexical``) its
probabilities are mixed with the encoder's: character n-grams read what an English word-piece
vocabulary splits badly (Indonesian slang, elongated words, emoji). The mixing weight is chosen on the
early-stopping split. Saved as plain arrays (``lexical.safetensors``) and term lists
(``lexical.json``), not pickles.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

LEXICAL_ARRAYS = "lexical.safetensors"
LEXICAL_TERMS = "lexical.json"
_WORD = {"analyzer": "word", "ngram_range": (1, 2)}
_CHAR = {"analyzer": "char_wb", "ngram_range": (2, 5)}


class TfidfBaseline:
    """Word 1-2-grams + character 2-5-grams (sublinear TF-IDF), class-balanced logistic regression."""

    def __init__(self, c: float = 10.0, seed: int = 13) -> None:
        self.c = c
        self.seed = seed
        self.vectorizers: list[Any] = []
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    def _features(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import hstack

        return hstack([v.transform(list(texts)) for v in self.vectorizers]).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> TfidfBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizers = [TfidfVectorizer(sublinear_tf=True, min_df=2, **p).fit(list(texts))  # type: ignore[arg-type]
                            for p in (_WORD, _CHAR)]
        model = LogisticRegression(C=self.c, max_iter=2000, class_weight="balanced", random_state=self.seed)
        model.fit(self._features(texts), list(labels))
        n = int(max(labels)) + 1
        coef = np.zeros((n, model.coef_.shape[1]), dtype=np.float32)
        intercept = np.full(n, -1e4, dtype=np.float32)  # a class absent from the rows is never predicted
        if model.coef_.shape[0] == 1:  # sklearn stores one row for two classes
            coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
            intercept[model.classes_[0]] = 0.0
        else:
            coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
        self.coef, self.intercept = coef, intercept
        return self

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """``n x classes`` probabilities (softmax of the linear scores)."""
        if self.coef is None or self.intercept is None:
            raise RuntimeError("fit or load the lexical model first")
        scores = np.asarray(self._features(texts) @ self.coef.T) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[int]:
        return [int(i) for i in self.probabilities(texts).argmax(axis=1)]

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        assert self.coef is not None and self.intercept is not None
        arrays = {"coef": self.coef, "intercept": self.intercept}
        terms = []
        for i, v in enumerate(self.vectorizers):
            arrays[f"idf_{i}"] = v.idf_.astype(np.float32)
            terms.append([t for t, _ in sorted(v.vocabulary_.items(), key=lambda item: item[1])])
        save_file(arrays, str(folder / LEXICAL_ARRAYS))
        (folder / LEXICAL_TERMS).write_text(json.dumps({"terms": terms}, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> TfidfBaseline:
        from safetensors.numpy import load_file
        from sklearn.feature_extraction.text import TfidfVectorizer

        arrays = load_file(str(folder / LEXICAL_ARRAYS))
        terms = json.loads((folder / LEXICAL_TERMS).read_text())["terms"]
        out = cls()
        for i, (params, vocab) in enumerate(zip((_WORD, _CHAR), terms)):
            vec = TfidfVectorizer(sublinear_tf=True, vocabulary=vocab, **params)  # type: ignore[arg-type]
            vec.idf_ = arrays[f"idf_{i}"].astype(np.float64)
            out.vectorizers.append(vec)
        out.coef, out.intercept = arrays["coef"], arrays["intercept"]
        return out


def best_mix(net_probs: np.ndarray, lex_probs: np.ndarray, labels: Sequence[int]) -> tuple[float, float]:
    """Weight ``w`` of the encoder in ``w * net + (1 - w) * lexical`` (0, 0.1, ..., 1) maximising macro-F1
    on the given (early-stopping) rows; returns (w, that macro-F1). Ties go to the larger encoder weight.

    >>> net = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]]); lex = np.array([[0.6, 0.4], [0.95, 0.05], [0.3, 0.7]])
    >>> best_mix(net, lex, [0, 0, 1])
    (0.8, 1.0)
    """
    from nlp.sentiment.metrics import macro_f1

    best = (1.0, -1.0)
    for w in [round(x / 10, 1) for x in range(10, -1, -1)]:
        pred = (w * net_probs + (1 - w) * lex_probs).argmax(axis=1)
        score = macro_f1(list(zip(labels, pred.tolist())), net_probs.shape[1])
        if score > best[1] + 1e-12:
            best = (w, score)
    return best
