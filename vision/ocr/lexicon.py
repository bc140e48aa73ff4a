"""Split run-together words with a vocabulary learned from transcribed documents (``SIMPLIFIEDTAXINVOICE``).

Where neither the ink nor the character pitch shows a printed space (tight or bold print), a
word that is not in the vocabulary but is the concatenation of two or more vocabulary words is
split into them, with the fewest pieces (ties: the longest first piece). Vocabulary words are the
whitespace words of transcriptions as printed (``YOU.``, ``(RM)``), upper-cased; the bundled one,
``receipt_words.txt``, comes from the SROIE tuning receipts only (numbers <= 52) and is rebuilt by
``build_vocabulary``.

>>> vocab = Vocabulary(frozenset({"SIMPLIFIED", "TAX", "INVOICE", "THANK", "YOU.", "GST"}))
>>> [vocab.split(w) for w in ["SIMPLIFIEDTAXINVOICE", "ThankYou.", "GST", "GSTX", "TAXES"]]
[['SIMPLIFIED', 'TAX', 'INVOICE'], ['Thank', 'You.'], ['GST'], ['GSTX'], ['TAXES']]
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

BUNDLED = "receipt_words.txt"
MIN_LENGTH = 5  # shorter words are left alone
MIN_PIECE = 2  # no one-letter pieces: ``A``/``I`` would split almost anything
# shorter words are never replaced by a vocabulary word one character away (5 for PP-OCRv4; 4 since the
# substitution is limited to words PP-OCRv6 read with little confidence, ``ppocr.SUBSTITUTE_BELOW``)
MIN_SUBSTITUTE = 4


@dataclass(frozen=True)
class Vocabulary:
    """Upper-case vocabulary words; ``substitute`` leaves words shorter than ``min_substitute`` alone."""

    words: frozenset[str]
    min_substitute: int = MIN_SUBSTITUTE

    def split(self, word: str) -> list[str]:
        """``word`` cut into vocabulary words (original case kept), or ``[word]`` when it is one or cannot be."""
        upper = word.upper()
        if len(upper) < MIN_LENGTH or upper in self.words or not any(c.isalpha() for c in upper):
            return [word]
        n = len(upper)
        # best[i]: fewest pieces covering upper[i:], with the cut after the first piece
        best: list[tuple[int, int] | None] = [None] * (n + 1)
        best[n] = (0, n)
        for i in range(n - MIN_PIECE, -1, -1):
            for j in range(n, i + MIN_PIECE - 1, -1):
                rest = best[j]
                if rest is None or upper[i:j] not in self.words:
                    continue
                if best[i] is None or rest[0] + 1 < best[i][0]:  # type: ignore[index]
                    best[i] = (rest[0] + 1, j)
        if best[0] is None or best[0][0] < 2:
            return [word]
        pieces, i = [], 0
        while i < n:
            _, j = best[i]  # type: ignore[misc]
            pieces.append(word[i:j])
            i = j
        return pieces

    @cached_property
    def _one_off(self) -> dict[str, tuple[str, ...]]:
        """Vocabulary words of ``min_substitute`` or more characters by each pattern with one position masked."""
        index: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= self.min_substitute:
                for i in range(len(word)):
                    index.setdefault(word[:i] + "\0" + word[i + 1:], []).append(word)
        return {pattern: tuple(words) for pattern, words in index.items()}

    def substitute(self, word: str) -> str:
        """``word`` replaced by the one vocabulary word that differs from it in exactly one character
        (``TOTAI`` -> ``TOTAL``, ``LTEM(6)`` -> ``ITEM(6)``), the word's case kept position by position;
        unchanged when it is a vocabulary word, shorter than ``min_substitute``, has no letter, or two
        vocabulary words are one character away (2-fold CV over the SROIE tuning receipts with PP-OCRv4: word F1
        0.830 -> 0.837; from 3 characters up 0.830, 4: 0.836, 6: 0.834; with PP-OCRv6 and the substitution limited
        to unconfident words, ``ppocr.apply_vocabulary``, from 4 characters: 0.891 -> 0.893, 6: 0.890).

        >>> Vocabulary(frozenset({"TOTAL", "ITEM(6)", "CASH"})).substitute("Totai")
        'Total'
        >>> [Vocabulary(frozenset({"TOTAL", "TOTAM"})).substitute(w) for w in ["TOTAI", "CASI", "12.50"]]
        ['TOTAI', 'CASI', '12.50']
        """
        upper = word.upper()
        if len(upper) < self.min_substitute or upper in self.words or not any(c.isalpha() for c in upper):
            return word
        found = {w for i in range(len(upper)) for w in self._one_off.get(upper[:i] + "\0" + upper[i + 1:], ())}
        if len(found) != 1:
            return word
        (best,) = found
        return "".join(b.lower() if a.islower() else b for a, b in zip(word, best))

    def joins(self, left: str, right: str) -> bool:
        """Whether two neighbouring words are one vocabulary word cut in two (``BAHRU,`` + ``JOHOR``): the
        joined form is in the vocabulary and the two parts are not both in it."""
        a, b = left.upper(), right.upper()
        return (a + b) in self.words and not (a in self.words and b in self.words)

    def correct(self, words: list[str]) -> list[tuple[int, int, str]]:
        """A line's words after ``split`` and then ``joins``: ``(first, last, text)`` per output word, the
        indices of the input words it comes from (a split word's pieces share its index)."""
        pieces = [(k, k, piece) for k, word in enumerate(words) for piece in self.split(word)]
        out: list[tuple[int, int, str]] = []
        for first, last, text in pieces:
            if out and out[-1][1] < first and self.joins(out[-1][2], text):
                out[-1] = (out[-1][0], last, out[-1][2] + text)
            else:
                out.append((first, last, text))
        return out

    def correct_text(self, text: str) -> str:
        """``correct`` on one line of whitespace words.

        >>> Vocabulary(frozenset({"BAHRU,JOHOR", "THANK", "YOU"})).correct_text("BAHRU, JOHOR THANKYOU")
        'BAHRU,JOHOR THANK YOU'
        """
        return " ".join(t for _, _, t in self.correct(text.split()))


def build_vocabulary(transcripts: Iterable[str], min_count: int = 1) -> Vocabulary:
    """Upper-cased whitespace words of ``transcripts`` seen at least ``min_count`` times."""
    counts = Counter(word.upper() for text in transcripts for word in text.split())
    return Vocabulary(frozenset(w for w, k in counts.items() if k >= min_count))


def write_vocabulary(vocabulary: Vocabulary, path: Path) -> None:
    path.write_text("\n".join(sorted(vocabulary.words)) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def bundled_vocabulary() -> Vocabulary:
    """The vocabulary shipped with the package (SROIE tuning receipts)."""
    text = resources.files("vision.ocr").joinpath(BUNDLED).read_text(encoding="utf-8")
    return Vocabulary(frozenset(line.strip() for line in text.splitlines() if line.strip()))
