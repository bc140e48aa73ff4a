"""Candidates and layout features for the learned receipt-field extractor (``field_model.py``).

Per field, every plausible value on the page becomes a candidate with a feature vector:

- ``company``: spans of 1-3 consecutive rows among the top rows (position, row height against the
  page's, centring, company-pattern and suffix hits, letter/digit/lower-case ratios, share of known
  company and address words, whether the rules chose it);
- ``address``: spans of 1-6 consecutive rows (position, postcode hits and where, place-word share of
  the span and of the rows around it, stop words inside, the rules' span);
- ``total``: every two-decimal amount (anchors on its row or the row above, excluded words, rank among
  the page's amounts, how often the value repeats, the rules' value);
- ``date``: every date a lenient parse finds (anchor, position, repeats, time on the row, the rules' date).

The feature order is fixed by ``FEATURES``; the model file stores it and refuses another order.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np

from vision.ocr.field_vocabulary import Vocabulary
from vision.ocr.fields import (
    _AMOUNT,
    Found,
    Row,
    Xyxy,
    _address,
    _amount,
    _company_rows,
    _date,
    _fix_suffix,
    _has,
    _strip_registration,
    parse_amount,
    parse_date,
)
from vision.ocr.schemas import FieldSet, FieldSpec

FIELDS = ("company", "date", "address", "total")
FEATURES: dict[str, tuple[str, ...]] = {
    "company": ("start", "n_rows", "rule_span", "rule_start", "pattern", "suffix", "exclude", "letters", "digits",
                "lower", "log_chars", "height", "off_centre", "known", "company_words", "address_words",
                "starts_inside", "ends_open", "next_pattern", "text_rows_before", "stop", "registration"),
    "address": ("start", "n_rows", "rule_span", "rule_start", "rule_end", "place_words", "min_place_words",
                "postcode", "postcode_last", "rows_after_postcode", "stops", "company_pattern", "in_company",
                "next_place_words", "next_postcode", "next_stop", "prev_place_words", "prev_postcode", "date",
                "digits", "known", "after_company"),
    "total": ("anchor", "prefer", "exclude", "anchor_above", "position", "amounts_on_row", "rightmost", "rank",
              "is_max", "repeats", "anchored_repeats", "rule_value", "cash", "rounding", "tax", "currency_mark",
              "max_not_excluded", "log_value", "cash_minus_change", "derived", "one_decimal"),
    "date": ("anchor", "position", "strict", "repeats", "rule_value", "time_on_row", "year_off", "first",
             "numeric"),
}
MAX_COMPANY_START, MAX_COMPANY_ROWS = 12, 3
MAX_ADDRESS_START, MAX_ADDRESS_ROWS = 16, 6


@dataclass
class Candidate:
    """One possible value of a field: its value (as ``Found``), where it came from and its features."""

    found: Found
    features: np.ndarray
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Lexicon:
    """What the features compare words with: all receipt words, and the words of company names and addresses."""

    words: Vocabulary
    company: Vocabulary
    address: Vocabulary
    known: dict[str, tuple[str, ...]] = dataclass_field(default_factory=dict)  # field -> merchants' labelled values
    merchants: tuple[tuple[str, str], ...] = ()  # (company, address) pairs as labelled together

    def to_json(self) -> dict[str, object]:
        return {"words": self.words.to_json(), "company": self.company.to_json(), "address": self.address.to_json(),
                "known": {k: list(v) for k, v in sorted(self.known.items())},
                "merchants": [list(m) for m in self.merchants]}

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:  # type: ignore[type-arg]
        return cls(Vocabulary.from_json(data["words"]), Vocabulary.from_json(data["company"]),
                   Vocabulary.from_json(data["address"]), {k: tuple(v) for k, v in data.get("known", {}).items()},
                   tuple((m[0], m[1]) for m in data.get("merchants", [])))


@dataclass(frozen=True)
class Page:
    """The rows of one page and the page measures features are relative to."""

    rows: list[Row]
    width: float
    median_height: float

    @classmethod
    def of(cls, rows: list[Row]) -> Page:
        heights = [r.box[3] - r.box[1] for r in rows] or [1.0]
        width = max((r.box[2] for r in rows), default=1.0)
        return cls(rows, max(width, 1.0), max(float(np.median(heights)), 1.0))


def _ratio(text: str, predicate) -> float:  # type: ignore[no-untyped-def]
    chars = [c for c in text if not c.isspace()]
    return sum(1 for c in chars if predicate(c)) / len(chars) if chars else 0.0


def _rows_box(rows: Sequence[Row]) -> Xyxy:
    return (min(r.box[0] for r in rows), min(r.box[1] for r in rows), max(r.box[2] for r in rows),
            max(r.box[3] for r in rows))


def _matches(patterns: Sequence[str], text: str) -> bool:
    return any(re.search(p, text, flags=re.IGNORECASE) for p in patterns)


_SUFFIX = re.compile(r"\b(S(DN|ON)\.?\s*B(HD|ND)|BHD|S/B)\b", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}:\d{2}")


def company_text(rows: Sequence[Row], lexicon: Lexicon | None) -> str:
    text = _fix_suffix(_strip_registration(" ".join(r.text for r in rows)).strip(" ,"))
    return lexicon.words.correct(text) if lexicon is not None else text


def address_text(rows: Sequence[Row], lexicon: Lexicon | None) -> str:
    text = " ".join(t for t in (_strip_registration(r.text) for r in rows) if t)
    return lexicon.words.correct(text) if lexicon is not None else text


def company_candidates(spec: FieldSpec, page: Page, lexicon: Lexicon) -> list[Candidate]:
    rows = page.rows
    rule = _company_rows(spec, rows)
    out = []
    for start in range(min(MAX_COMPANY_START, len(rows))):
        for n in range(1, MAX_COMPANY_ROWS + 1):
            if start + n > len(rows):
                break
            taken = rows[start:start + n]
            raw = " ".join(r.text for r in taken)
            text = company_text(taken, lexicon)
            if not re.search(r"[A-Za-z]{2}", text):
                continue
            box = _rows_box(taken)
            features = [
                start / 10, n, float(rule == (start, start + n)), float(rule is not None and rule[0] == start),
                float(_matches(spec.patterns, raw)), float(bool(_SUFFIX.search(raw))), float(_has(raw, spec.exclude)),
                _ratio(text, str.isalpha), _ratio(text, str.isdigit), _ratio(raw, str.islower),
                math.log1p(len(text)), float(np.mean([r.box[3] - r.box[1] for r in taken])) / page.median_height,
                abs((box[0] + box[2]) / 2 - page.width / 2) / page.width, lexicon.words.known_fraction(text),
                lexicon.company.known_fraction(text), lexicon.address.known_fraction(text),
                float(start > 0 and rows[start - 1].text.rstrip().endswith(("&", "(", "-"))),
                float(taken[-1].text.rstrip().endswith(("&", "(", "-"))),
                float(start + n < len(rows) and _matches(spec.patterns, rows[start + n].text)),
                sum(1 for r in rows[:start] if len(re.findall(r"[A-Za-z]", r.text)) >= 3) / 5,
                float(_has(raw, ["TEL", "GST", "FAX", "INVOICE", "RECEIPT"])),
                float(_strip_registration(raw) != raw),
            ]
            found = Found(text, text, sum(r.confidence for r in taken) / n, box)
            out.append(Candidate(found, np.array(features, dtype=float), (start, start + n)))
    return out


def _rule_address_span(spec: FieldSpec, rows: list[Row], company: FieldSpec | None) -> tuple[int, int] | None:
    """The rows the rules' address came from (matched back by box)."""
    found = _address(spec, rows, company)
    if found is None:
        return None
    inside = [k for k, r in enumerate(rows) if r.box[1] >= found.box[1] - 0.5 and r.box[3] <= found.box[3] + 0.5]
    return (inside[0], inside[-1] + 1) if inside else None


def address_candidates(spec: FieldSpec, page: Page, lexicon: Lexicon, company: FieldSpec | None) -> list[Candidate]:
    rows = page.rows
    rule = _rule_address_span(spec, rows, company)
    company_span = _company_rows(company, rows) if company is not None else None
    postcode = [_matches(spec.patterns, r.text) for r in rows]
    places = [lexicon.address.known_fraction(r.text) for r in rows]
    stops = [_has(_strip_registration(r.text), spec.stop) for r in rows]
    out = []
    for start in range(min(MAX_ADDRESS_START, len(rows))):
        for n in range(1, MAX_ADDRESS_ROWS + 1):
            end = start + n
            if end > len(rows):
                break
            taken = rows[start:end]
            text = address_text(taken, lexicon)
            if not re.search(r"[A-Za-z]{2}", text):
                continue
            codes = [k for k in range(start, end) if postcode[k]]
            features = [
                start / 10, n, float(rule == (start, end)), float(rule is not None and rule[0] == start),
                float(rule is not None and rule[1] == end), lexicon.address.known_fraction(text),
                min(places[start:end]), float(bool(codes)), float(postcode[end - 1]),
                (end - 1 - codes[-1]) if codes else -1.0, sum(stops[start:end]),
                float(company is not None and _matches(company.patterns, taken[0].text)),
                float(company_span is not None and start < company_span[1] and end > company_span[0]),
                places[end] if end < len(rows) else 0.0, float(end < len(rows) and postcode[end]),
                float(end >= len(rows) or stops[end]), places[start - 1] if start > 0 else 0.0,
                float(start > 0 and postcode[start - 1]), float(any(parse_date(r.text) for r in taken)),
                _ratio(text, str.isdigit), lexicon.words.known_fraction(text),
                float(company_span is not None and start == company_span[1]),
            ]
            found = Found(text, text, sum(r.confidence for r in taken) / n, _rows_box(taken))
            out.append(Candidate(found, np.array(features, dtype=float), (start, end)))
    return out


_ONE_DECIMAL = re.compile(r"(?<![\d.,])(\d+)\.(\d)(?![\d.,])")
_PAID = ["CASH", "TENDER", "PAID", "PAYMENT", "CREDIT CARD", "VISA", "MASTER"]


def _cash_minus_change(rows: list[Row]) -> float | None:
    """What was paid less the change given (``CASH 50.00`` / ``CHANGE 12.90`` -> 37.10): the total read
    a second time, from two other numbers; a second ``CASH`` row after the first is the change on some tills."""
    paid = change = None
    for row in rows:
        value = parse_amount(row.text)
        if value is None:
            continue
        if _has(row.text, ["CHANGE", "BALANCE", "BAKI"]) and not _has(row.text, ["EXCHANGE"]):
            change = float(value)
        elif _has(row.text, _PAID) and not _has(row.text, ["CASHIER"]):
            if paid is None:
                paid = float(value)
            elif change is None:
                change = float(value)
    if paid is None or change is None or paid - change <= 0:
        return None
    return round(paid - change, 2)


def total_candidates(spec: FieldSpec, page: Page) -> list[Candidate]:
    rows = page.rows
    rule = _amount(spec, rows)
    anchored = [_has(r.text, spec.anchors) for r in rows]
    located: list[tuple[int, int, int, float, bool]] = []  # row, index on row, amounts on row, value, one decimal
    for k, row in enumerate(rows):
        matches = list(_AMOUNT.finditer(row.text))
        for j, match in enumerate(matches):
            value = parse_amount(match.group(0))
            if value is not None:
                located.append((k, j, len(matches), float(value), False))
        if anchored[k] and not matches:  # ``NET TOTAL 174.9``: a total printed with one decimal
            for match in _ONE_DECIMAL.finditer(row.text):
                located.append((k, 0, 1, float(match.group(0)), True))
    derived = _cash_minus_change(rows)
    if derived is not None and all(v != derived for *_, v, _ in located):
        located.append((-1, 0, 0, derived, False))
    if not located:
        return []
    values = sorted({v for *_, v, _ in located}, reverse=True)
    repeats = Counter(v for k, _, _, v, _ in located if k >= 0)
    excluded = [_has(r.text, spec.exclude) for r in rows]
    anchored_repeats = Counter(v for k, _, _, v, _ in located if k >= 0 and (anchored[k] or (k > 0 and anchored[k - 1])))
    kept = [v for k, _, _, v, _ in located if k >= 0 and not excluded[k]]
    out = []
    for k, j, n_on_row, value, one_decimal in located:
        real = k >= 0
        text = rows[k].text if real else ""
        features = [
            float(real and anchored[k]), float(_has(text, spec.prefer)), float(real and excluded[k]),
            float(k > 0 and anchored[k - 1] and not _AMOUNT.search(rows[k - 1].text)), k / max(1, len(rows)),
            n_on_row, float(j == n_on_row - 1), values.index(value) / max(1, len(values) - 1) if len(values) > 1 else 0.0,
            float(value == values[0]), math.log1p(repeats[value]), math.log1p(anchored_repeats[value]),
            float(rule is not None and float(rule.value) == value), float(_has(text, ["CASH", "CHANGE", "TENDER",
                                                                                        "PAID", "PAYMENT"])),
            float(_has(text, ["ROUNDING", "ROUNDED", "ROUND", "ADJ"])), float(_has(text, ["GST", "TAX", "SST"])),
            float(_has(text, ["RM", "MYR"]) or "$" in text), float(bool(kept) and value == max(kept)),
            math.log1p(value), float(derived is not None and value == derived), float(not real), float(one_decimal),
        ]
        row = rows[k] if real else None
        found = Found(text or f"{value:.2f}", f"{value:.2f}", row.confidence if row else 0.5,
                      row.box if row else _rows_box(rows), "MYR" if _has(text, ["RM", "MYR"]) else spec.currency)
        out.append(Candidate(found, np.array(features, dtype=float), (k, k + 1) if real else (0, 0)))
    return out


_DIGIT_LIKE = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})


def _lenient(text: str) -> str:
    """Digits misread as letters inside number-like tokens, and spaces around date separators removed."""
    text = re.sub(r"\s*([/\-.])\s*(?=\d)", r"\1", text)
    return re.sub(r"\b[\dOoDIl|SB]*\d[\dOoDIl|SB/\-.]*\b", lambda m: m.group(0).translate(_DIGIT_LIKE), text)


def date_candidates(spec: FieldSpec, page: Page) -> list[Candidate]:
    rows = page.rows
    rule = _date(spec, rows)
    located: list[tuple[int, str, bool]] = []
    for k, row in enumerate(rows):
        strict = parse_date(row.text)
        if strict is not None:
            located.append((k, strict.isoformat(), True))
        lenient = parse_date(_lenient(row.text))
        if lenient is not None and (strict is None or lenient != strict):
            located.append((k, lenient.isoformat(), False))
    if not located:
        return []
    repeats = Counter(v for _, v, _ in located)
    years = sorted(int(v[:4]) for _, v, _ in located)
    median_year = years[len(years) // 2]
    out = []
    for order, (k, value, strict) in enumerate(located):
        text = rows[k].text
        features = [
            float(_has(text, spec.anchors)), k / max(1, len(rows)), float(strict), math.log1p(repeats[value]),
            float(rule is not None and rule.value == value), float(bool(_TIME.search(text))),
            min(3.0, abs(int(value[:4]) - median_year)), float(order == 0),
            float(bool(re.search(r"\d{1,2}[/\-.]\d{1,2}[/\-.]\d{2,4}", text))),
        ]
        out.append(Candidate(Found(text, value, rows[k].confidence, rows[k].box), np.array(features, dtype=float),
                             (k, k + 1)))
    return out


def candidates(field: str, field_set: FieldSet, page: Page, lexicon: Lexicon) -> list[Candidate]:
    """The candidates of one field of the receipt set on a page."""
    spec = next(f for f in field_set.fields if f.name == field)
    company = next((f for f in field_set.fields if f.kind == "company"), None)
    if field == "company":
        return company_candidates(spec, page, lexicon)
    if field == "address":
        return address_candidates(spec, page, lexicon, company)
    if field == "total":
        return total_candidates(spec, page)
    if field == "date":
        return date_candidates(spec, page)
    raise ValueError(f"no candidates for field {field!r}")
