"""Letter/digit confusions fixed from a word's own context: ``L0T`` -> ``LOT``, ``1OO.5O`` -> ``100.50``.

Recognisers trained on mixed text read the round glyph of a fixed-pitch receipt font as ``0`` or
``O`` almost at random. Inside one printed word the other characters tell which it is: a word
whose only digits are zeros standing next to letters is a word (``B0ARD``, ``AUT0``, ``N0:``), and
an ``O`` in a word made of digits and number punctuation is a zero (``1O.OO``). Codes that mix
letters and other digits (``SH01``, ``M026588``) are left as read.

>>> [fix_word(w) for w in ["L0T", "CH0PPING", "N0:", "(C0.REG", "SH01", "M026588", "1O.OO", "12OML", "RM10.0O"]]
['LOT', 'CHOPPING', 'NO:', '(CO.REG', 'SH01', 'M026588', '10.00', '12OML', 'RM10.0O']
"""
from __future__ import annotations

_NUMBER_MARKS = frozenset(".,-/:%")


def fix_word(word: str) -> str:
    """``word`` with a context-evident ``0``/``O`` confusion undone (see the module doc)."""
    letters = [c for c in word if c.isalpha()]
    digits = [c for c in word if c.isdigit()]
    if digits and set(digits) == {"0"} and len(letters) >= 1:
        chars = list(word)
        for k, c in enumerate(chars):
            if c == "0" and ((k > 0 and chars[k - 1].isalpha()) or (k + 1 < len(chars) and chars[k + 1].isalpha())):
                chars[k] = "O"
        return "".join(chars)
    if "O" in word and {c for c in letters} <= {"O"} and digits and all(c.isdigit() or c == "O" or c in _NUMBER_MARKS for c in word):
        return word.replace("O", "0")
    return word


def fix_text(text: str) -> str:
    """``fix_word`` on each whitespace word of a line, spacing kept."""
    return " ".join(fix_word(word) for word in text.split(" "))
