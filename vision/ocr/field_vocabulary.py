"""Word vocabulary of receipts and the correction of misread company/address words against it.

The vocabulary is learned from labelled receipts (their line transcriptions and key fields): shop
names, street and place words (``JALAN``, ``TAMAN``, ``PERINDUSTRIAN``, ``JOHOR``...). A word the
reader returned that is not in it is replaced by the most frequent vocabulary word within a small
edit distance (``TAMPOL`` -> ``TAMPOI``, ``MALAYSTA`` -> ``MALAYSIA``, ``JAVA`` -> ``JAYA``); the
distance weighs substitutions the reader is known to make (``I``/``L``, ``O``/``0``) at half cost.

>>> v = Vocabulary.build(["JALAN TAMPOI 7/4", "TAMAN JOHOR JAYA", "JOHOR BAHRU"])
>>> v.correct("Jalan Tampol, Taman Johor Java")
'Jalan TAMPOI, Taman Johor JAYA'
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

_TOKEN = re.compile(r"[A-Za-z0-9]+")
# Substitutions Tesseract makes on thermal print (seen in the tuning receipts' readings).
_CONFUSABLE = frozenset({("I", "L"), ("I", "T"), ("O", "D"), ("O", "Q"), ("B", "E"), ("B", "8"), ("S", "5"),
                         ("O", "0"), ("I", "1"), ("H", "M"), ("N", "H"), ("U", "V"), ("Y", "V"), ("C", "G"),
                         ("R", "P"), ("E", "F"), ("I", "J"), ("A", "R")})


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    for k in range(1, min(depth, len(word) - 1) + 1):
        for drop in combinations(range(len(word)), k):
            out.add("".join(c for i, c in enumerate(word) if i not in drop))
    return out


def weighted_distance(a: str, b: str, confusable: frozenset[tuple[str, str]] = _CONFUSABLE) -> float:
    """Edit distance with unit insertions/deletions and half-cost substitutions of confusable characters."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        current = [float(i)]
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                cost = 0.0
            elif (ca, cb) in confusable or (cb, ca) in confusable:
                cost = 0.5
            else:
                cost = 1.0
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]


@dataclass
class Vocabulary:
    """Upper-case words with their counts; ``correct`` maps unknown words to near vocabulary words."""

    counts: dict[str, int]
    min_length: int = 4
    confusable: frozenset[tuple[str, str]] = _CONFUSABLE
    _index: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1) -> Vocabulary:
        counts = Counter(t.upper() for text in texts for t in _TOKEN.findall(text) if not t.isdigit())
        return cls({w: n for w, n in counts.items() if n >= min_count and len(w) >= 2})

    def _lookup(self) -> dict[str, list[str]]:
        if not self._index:
            for word in self.counts:
                if len(word) >= self.min_length and sum(c.isalpha() for c in word) >= 0.6 * len(word):
                    for key in _deletes(word, 1 if len(word) < 7 else 2):
                        self._index.setdefault(key, []).append(word)
        return self._index

    def __contains__(self, word: str) -> bool:
        return word.upper() in self.counts

    def known_fraction(self, text: str) -> float:
        """Share of the text's alphabetic words that are in the vocabulary (0 when it has none)."""
        words = [t.upper() for t in _TOKEN.findall(text) if sum(c.isalpha() for c in t) >= 2]
        return sum(w in self.counts for w in words) / len(words) if words else 0.0

    def correct_word(self, word: str) -> str | None:
        """The vocabulary word an unknown word most likely is, or None (known, too short, or no close word)."""
        upper = word.upper()
        if upper in self.counts or len(upper) < self.min_length or sum(c.isalpha() for c in upper) < 0.6 * len(upper):
            return None
        # short words only through a confusable character; longer ones by at most one plain edit, so
        # unseen real words (GERBANG, ALAF) are not turned into seen ones (SERDANG, ALAM)
        limit = 0.5 if len(upper) < 6 else 1.0
        index = self._lookup()
        candidates = {c for key in _deletes(upper, 1 if len(upper) < 7 else 2) for c in index.get(key, ())
                      if abs(len(c) - len(upper)) <= 1 and upper not in (c + "S", c + "ES") and c != upper + "S"}
        # a plural or singular of a known word is a real word too (RESTAURANTS is not RESTAURANT)
        best: tuple[float, int, str] | None = None
        for candidate in candidates:
            distance = weighted_distance(upper, candidate, self.confusable)
            if distance <= limit and (best is None or (distance, -self.counts[candidate]) < (best[0], best[1])):
                best = (distance, -self.counts[candidate], candidate)
        return best[2] if best else None

    def correct(self, text: str) -> str:
        """The text with every unknown word replaced by its correction (punctuation and spacing kept)."""
        return _TOKEN.sub(lambda m: self.correct_word(m.group(0)) or m.group(0), text)

    def to_json(self) -> dict[str, object]:
        return {"counts": dict(sorted(self.counts.items())), "min_length": self.min_length,
                "confusable": sorted("".join(p) for p in self.confusable)}

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:  # type: ignore[type-arg]
        return cls({str(k): int(v) for k, v in data["counts"].items()}, int(data.get("min_length", 4)),
                   frozenset((p[0], p[1]) for p in data.get("confusable", [])) or _CONFUSABLE)
