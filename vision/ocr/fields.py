"""Key-field extraction from read documents: rules + layout features over the words' rows, driven by a field set.

A field set (YAML, see ``receipt_fields.yaml``) names fields, their kind and the words around
them; clients add their own fields without code::

    name: my-invoices
    fields:
      - name: invoice_number
        kind: text                      # text | date | amount | company | address
        anchors: ["INVOICE NO", "INV NO"]
        patterns: ['[A-Z]{2,}-?\\d{3,}']

How each kind is found (rows are words grouped by vertical overlap over the whole page, so a
label in one column and its value in another still share a row):

- ``amount``: numbers with two decimals on a row holding an anchor (``TOTAL``) but none of the
  ``exclude`` words, else on the next row; the last such row wins (``TOTAL ROUNDED`` comes after
  ``TOTAL``); with no anchored row, the largest amount on the page. The currency is read from
  the row (``RM`` -> MYR, ``$``, ``€``...) or the field's ``currency``.
- ``date``: the first date on the page (anchored rows first) in any common order, returned as
  ISO 8601 (``31/12/2018`` -> ``2018-12-31``; day first unless impossible).
- ``company``: among the top rows, the first matching a pattern (``SDN BHD``, ``ENTERPRISE``...),
  else the first row of letters that is not a ``exclude`` word.
- ``address``: the rows after the company up to a row with a ``stop`` word (``TEL``, ``GST``...),
  ending at the row with a postcode pattern when there is one.
- ``text``: a pattern match on an anchored row (right of the anchor) or the row under it.

For the bundled receipt set, ``extract_fields`` (``extractor="auto"``, the default, or ``"learned"``)
uses the learned extractor of ``field_model.py`` (trained on the SROIE tuning receipts, shipped as
``receipt_fields_model.json``: the rules' values, company and address words corrected from the tuning
receipts' vocabulary); the rules above are the fallback (logged) and the extractor of every client
field set.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from core.errors import AisError, ConfigError
from vision.ocr.schemas import FieldSet, FieldSpec

if TYPE_CHECKING:
    from vision.ocr.field_model import FieldModel

log = logging.getLogger(__name__)
DEFAULT_FIELD_SET = Path(__file__).with_name("receipt_fields.yaml")
Xyxy = tuple[float, float, float, float]


def load_field_set(path: str | Path | None = None) -> FieldSet:
    """Read a field set YAML (the bundled receipt set when ``path`` is None); bad files raise ConfigError."""
    source = Path(path) if path is not None else DEFAULT_FIELD_SET
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"field set {str(source)!r} does not exist") from exc
    return parse_field_set(text, str(source), ConfigError)


def parse_field_set(text: str, source: str, error: type[AisError] = ConfigError) -> FieldSet:
    """A field set from YAML or JSON text, every pattern compiled; a problem raises ``error`` naming it
    (``ConfigError`` for a deployment's file, ``InvalidInput`` for one a caller sent)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"field set {source} is not valid YAML or JSON: {exc}") from exc
    try:
        field_set = FieldSet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                             for e in exc.errors(include_url=False, include_input=False)[:10])
        raise error(f"field set {source} is invalid: {problems}") from exc
    for spec in field_set.fields:
        for pattern in spec.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise error(f"field set {source}: field {spec.name!r} pattern {pattern[:80]!r}: {exc}") from exc
    return field_set


@dataclass(frozen=True)
class Word:
    """A read word with its box and confidence (the input of extraction)."""

    text: str
    box: Xyxy
    confidence: float = 1.0
    line: int = -1  # the reader's line this word belongs to (-1: unknown)


@dataclass
class Row:
    """Words sharing a row on the page, left to right."""

    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Xyxy:
        return (min(w.box[0] for w in self.words), min(w.box[1] for w in self.words),
                max(w.box[2] for w in self.words), max(w.box[3] for w in self.words))

    @property
    def confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words)


@dataclass(frozen=True)
class Found:
    """An extracted value: the text as read, its normalised value, confidence and box."""

    text: str
    value: str
    confidence: float
    box: Xyxy
    currency: str | None = None


def group_rows(words: Sequence[Word], overlap: float = 0.5) -> list[Row]:
    """Rows top to bottom: the reader's lines, merged when they share a row without overlapping
    horizontally (a label in one column, its value in another); words without a line join by overlap."""
    units: dict[int, list[Word]] = {}
    singles: list[list[Word]] = []
    for word in words:
        if word.line >= 0:
            units.setdefault(word.line, []).append(word)
        else:
            singles.append([word])
    rows: list[Row] = []
    for unit in sorted([*units.values(), *singles], key=lambda u: sum((w.box[1] + w.box[3]) / 2 for w in u) / len(u)):
        y1, y2 = min(w.box[1] for w in unit), max(w.box[3] for w in unit)
        best, best_overlap = None, overlap
        for row in rows[-3:]:
            r1, r2 = row.box[1], row.box[3]
            ratio = (min(r2, y2) - max(r1, y1)) / max(1e-6, min(r2 - r1, y2 - y1))
            apart = all(w.box[2] <= v.box[0] or v.box[2] <= w.box[0] for w in unit for v in row.words)
            if ratio >= best_overlap and apart:
                best, best_overlap = row, ratio
        if best is None:
            rows.append(Row(list(unit)))
        else:
            best.words.extend(unit)
    for row in rows:
        row.words.sort(key=lambda w: w.box[0])
    return rows


def _has(text: str, words: Sequence[str]) -> bool:
    upper = text.upper()
    return any(re.search(r"(?<![A-Z])" + re.escape(w.upper()) + r"(?![A-Z])", upper) for w in words)


# -- amounts ------------------------------------------------------------------------------------
_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[,\s]\d{3})*|\d+)\s?[.,]\s?(\d{2})(?![\d])")
_CURRENCIES = (("RM", "MYR"), ("MYR", "MYR"), ("S$", "SGD"), ("US$", "USD"), ("USD", "USD"), ("EUR", "EUR"),
               ("€", "EUR"), ("£", "GBP"), ("GBP", "GBP"), ("$", "USD"))


def parse_amount(text: str) -> Decimal | None:
    """The last two-decimal amount in a text (``RM 33.90``, ``33,90``, ``1,234.50``), or None."""
    found = list(_AMOUNT.finditer(text))
    if not found:
        return None
    whole, cents = found[-1].group(1), found[-1].group(2)
    try:
        return Decimal(re.sub(r"[,\s]", "", whole) + "." + cents)
    except InvalidOperation:
        return None


def _currency(text: str, default: str | None) -> str | None:
    upper = text.upper()
    for mark, code in _CURRENCIES:
        if mark in upper:
            return code
    return default


_PERCENT = re.compile(r"\d\s?%")


def _rounded(spec: FieldSpec, rows: list[Row], value: Decimal) -> Decimal:
    """The total as paid where the page has a rounding row (``ROUNDING ADJ -0.01``): the nearest
    multiple of ``round_to`` (Malaysian cash totals are rounded to 5 sen), else ``value`` unchanged."""
    starts = [re.compile(r"(?<![A-Z])" + re.escape(w.upper())) for w in spec.rounding]  # ``ROUNDLNG`` misread too
    if spec.round_to is None or not any(p.search(r.text.upper()) for p in starts for r in rows):
        return value
    step = spec.round_to
    return ((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).quantize(Decimal("0.01"))


def _amount(spec: FieldSpec, rows: list[Row]) -> Found | None:
    anchored: list[tuple[bool, Row, Decimal]] = []
    taxes: list[tuple[bool, Row, Decimal]] = []  # ``TOTAL INCLUDES 6% GST 1.51``: the tax, unless it is the largest
    for k, row in enumerate(rows):
        preferred = _has(row.text, spec.prefer)
        if not _has(row.text, spec.anchors) or (_has(row.text, spec.exclude) and not preferred):
            continue
        bucket = taxes if _PERCENT.search(row.text) and _has(row.text, spec.exclude) else anchored
        source = row
        if not _AMOUNT.search(row.text) and k + 1 < len(rows) and not _has(rows[k + 1].text, spec.anchors):
            source = rows[k + 1]
        if len(_AMOUNT.findall(source.text)) > 1:  # a tax summary table row (net, tax), not a total
            continue
        value = parse_amount(source.text)
        if value is not None:
            bucket.append((preferred, source, value))
    largest = max((a[2] for a in anchored), default=None)
    order = {id(r): i for i, r in enumerate(rows)}
    anchored = sorted(anchored + [t for t in taxes if largest is None or t[2] >= largest], key=lambda a: order[id(a[1])])
    if anchored:
        favoured = [a for a in anchored if a[0]] or anchored
        _, row, value = favoured[-1] if favoured is not anchored else max(reversed(anchored), key=lambda a: a[2])
    else:
        amounts = [(parse_amount(r.text), r) for r in rows if not _has(r.text, spec.exclude)]
        valid = [(v, r) for v, r in amounts if v is not None]
        if not valid:
            return None
        value, row = max(valid, key=lambda item: item[0])
    value = _rounded(spec, rows, value)
    return Found(row.text, f"{value:.2f}", row.confidence, row.box, _currency(row.text, spec.currency))


# -- dates --------------------------------------------------------------------------------------
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                       "NOV", "DEC"), start=1)}
# the year may run straight into the time of day when the reader prints no space (``30/05/201710:18:02``)
_NUMERIC_DATE = re.compile(r"(?<![\dA-Z])(\d{1,4})([/\-.])(\d{1,2})\2(\d{4}(?=\d{1,2}\s?:\s?\d{2})|\d{2}(?=\d{1,2}\s?:\s?\d{2})|\d{2,4}(?!\d))")
_WORD_DATE = re.compile(r"(?<!\d)(\d{1,2})[\s\-/]*(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*[\s\-/,]*(\d{2,4})(?!\d)")


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day) if 1990 <= year <= 2100 else None
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """The first date in a text: ``dd/mm/yyyy``, ``yyyy-mm-dd``, ``dd-mm-yy``, ``mm/dd/yyyy`` when the day
    is over 12, ``12 JAN 2018``. Day first when ambiguous (the convention of the receipts at hand).

    >>> parse_date("DATE: 12/28/2017 10:31"), parse_date("19-10-18"), parse_date("2018-03-05")
    (datetime.date(2017, 12, 28), datetime.date(2018, 10, 19), datetime.date(2018, 3, 5))
    """
    upper = text.upper()
    for match in _NUMERIC_DATE.finditer(upper):
        a, _, b, c = match.groups()
        if len(a) == 4:
            found = _valid(int(a), int(b), int(c))
        else:
            found = _valid(_year(c), int(b), int(a)) or _valid(_year(c), int(a), int(b))
        if found:
            return found
    for match in _WORD_DATE.finditer(upper):
        day, month, year = match.groups()
        found = _valid(_year(year), _MONTHS[month], int(day))
        if found:
            return found
    return None


_TIME_OF_DAY = re.compile(r"\b\d{1,2}\s?:\s?\d{2}(?:\s?:\s?\d{2})?(?:\s?[AP]M)?\b", re.IGNORECASE)
_SPLIT_DIGITS = re.compile(r"(?<=[\d/\-.])\s+(?=[\d/\-.])")


def _squeezed_date(text: str) -> date | None:
    """A date whose digits the reader split with spaces (``Date 25/1 2/20 18``), the time of day removed first."""
    return parse_date(_SPLIT_DIGITS.sub("", _TIME_OF_DAY.sub("  ", text)))


def _date(spec: FieldSpec, rows: list[Row]) -> Found | None:
    ordered = [r for r in rows if _has(r.text, spec.anchors)] + rows
    for parse in (parse_date, _squeezed_date):
        for row in ordered:
            found = parse(row.text)
            if found:
                return Found(row.text, found.isoformat(), row.confidence, row.box)
    return None


# -- company and address ------------------------------------------------------------------------
_LETTERS = re.compile(r"[A-Za-z]")


def _company_index(spec: FieldSpec, rows: list[Row]) -> int | None:
    top = rows[:spec.top_rows]
    for k, row in enumerate(top):  # suffix misreads undone first (``57B`` is ``S/B``)
        if any(re.search(p, _fix_suffix(row.text), flags=re.IGNORECASE) for p in spec.patterns) \
                and not _has(row.text, spec.exclude):
            return k
    for k, row in enumerate(top):
        if _address_row(row.text):  # a name is printed above its address: where none was read, there is none
            break
        letters = len(_LETTERS.findall(row.text))
        if letters >= 3 and letters >= 0.6 * len(row.text.replace(" ", "")) and not _has(row.text, spec.exclude) \
                and not row.text.islower():  # a handwritten or stamped name above the print (``tan woon yann``)
            return k
    return None


_STREET = re.compile(r"\b(?:JALAN|JLN|JL|LORONG|LOT|TAMAN|TMN)\b")
_POSTCODE = re.compile(r"(?<![\d-])\d{5}(?![\d-])")


def _address_row(text: str) -> bool:
    """A row of an address: a number and a street word (``K3-113,JL IBRAHIM SULTAN``) or a postcode
    (``80300 JOHOR BAHRU``; a registration number such as ``65351-M`` is not one)."""
    upper = text.upper()
    return bool(_POSTCODE.search(upper)) or (bool(re.search(r"\d", upper)) and bool(_STREET.search(upper)))


_REGISTRATION = re.compile(r"\(?\b(?:[A-Z]{1,3}\d{5,}-?[A-Z]?|\d{5,}-[A-Z]|\d{7,}[A-Z]?)\b\)?")


def _strip_registration(text: str) -> str:
    """A company name without its registration number (``AEON CO. (M) BHD (126926-H)``)."""
    return " ".join(_REGISTRATION.sub(" ", text).split())


_SUFFIX_MISREADS = ((re.compile(r"\bS[O0I]N(\.?)\s+BHD\b"), r"SDN\1 BHD"),
                    (re.compile(r"\bSDN(\.?)\s+8HD\b"), r"SDN\1 BHD"),
                    (re.compile(r"(?<=\s)(?:5/B|57B|S/8|5/8)\b"), "S/B"),  # ``S/B``: Sendirian Berhad
                    (re.compile(r"(?<=[A-Z]) S (?=[A-Z])"), " & "))  # ``STATIONERY S BOOKS``: a lone S is an ampersand


def _fix_suffix(text: str) -> str:
    """Undo the commonest misreadings of the Malaysian company suffix ``SDN BHD`` (``SON BHD``)."""
    for pattern, replacement in _SUFFIX_MISREADS:
        text = pattern.sub(replacement, text)
    return text


_COMPANY_SUFFIX = re.compile(r"\b(S[DOI]N\.?\s*B[HN]D|BHD|S/B|BERHAD)\b", re.IGNORECASE)


def _company_rows(spec: FieldSpec, rows: list[Row]) -> tuple[int, int] | None:
    """First and one-past-last row of the company name: a row ending in '&' or '(' continues, and a name
    without its legal suffix runs on to the suffix one or two rows below (``AIK HUAT HARDWARE`` /
    ``ENTERPRISE (SETIA ALAM)`` / ``SDN BHD``) when the rows between hold no digit or excluded word."""
    k = _company_index(spec, rows)
    if k is None:
        return None
    end = k + 1
    while end < len(rows) and rows[end - 1].text.rstrip().endswith(("&", "(", "-")):
        end += 1
    if not _COMPANY_SUFFIX.search(" ".join(r.text for r in rows[k:end])):
        for extra in (1, 2):
            below = rows[end:end + extra]
            if len(below) < extra or any(re.search(r"\d", r.text) or _has(r.text, spec.exclude) for r in below):
                break
            if _COMPANY_SUFFIX.search(below[-1].text):
                end += extra
                break
    return k, end


def _company(spec: FieldSpec, rows: list[Row]) -> Found | None:
    span = _company_rows(spec, rows)
    if span is None:
        return None
    taken = rows[span[0]:span[1]]
    text = _fix_suffix(_strip_registration(" ".join(r.text for r in taken)).strip(" ,"))
    return Found(text, text, sum(r.confidence for r in taken) / len(taken), _rows_box(taken))


def _rows_box(rows: Sequence[Row]) -> Xyxy:
    return (min(r.box[0] for r in rows), min(r.box[1] for r in rows), max(r.box[2] for r in rows),
            max(r.box[3] for r in rows))


_LOT = re.compile(r"^(?:[1lI]\.?[0O]T|L0T)\b")  # ``10T 1851-A``, ``1.OT 1851-A``: LOT misread
_DIGITS_MISREAD = re.compile(r"\b(?=[\dOoIl]*\d[\dOoIl]*\d)[\dOoIl]{3,}\b")  # ``52oo0``: a postcode
_DIGIT_OF = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})


def _fix_address_words(text: str) -> str:
    """Misreadings with one plausible reading in an address: ``10T`` at the start is ``LOT``, a number
    with letter-like digits (``52oo0``) is that number."""
    text = _LOT.sub("LOT", text)
    return _DIGITS_MISREAD.sub(lambda m: m.group(0).translate(_DIGIT_OF), text)


def _stopped(text: str, stop: Sequence[str]) -> bool:
    """A stop word as a word, or a stop word of 5+ letters inside a glued or split reading (``TAXI NVOICE``)."""
    squeezed = re.sub(r"[^A-Z]", "", text.upper())
    return _has(text, stop) or any(len(w) >= 5 and w.isalpha() and w.upper() in squeezed for w in stop)


def _address(spec: FieldSpec, rows: list[Row], company: FieldSpec | None) -> Found | None:
    """Rows after the company (registration numbers and dates skipped) up to a stop word; after the
    row with the postcode pattern only rows of letters (town, state, country) are added."""
    start = 0
    if company is not None:
        span = _company_rows(company, rows)
        start = span[1] if span is not None else 0
    taken: list[Row] = []
    closed = False
    for row in rows[start:start + 10]:
        text = _fix_address_words(_strip_registration(row.text))
        stopped = _stopped(text, spec.stop)
        registration_row = text != row.text and len(text) < 10
        other_company = company is not None and bool(_COMPANY_SUFFIX.search(text))  # ``formerly ... Sdn Bhd``
        if not taken and (stopped or registration_row or not text or _has(text, spec.exclude) or parse_date(text)
                          or other_company):
            continue
        if stopped or (closed and (re.search(r"\d", text) or len(taken) > 8)):
            break
        taken.append(Row([Word(text, row.box, row.confidence)]))
        if any(re.search(p, text, flags=re.IGNORECASE) for p in spec.patterns):
            closed = True
    if not taken:
        return None
    text = " ".join(r.text for r in taken)
    return Found(text, text, sum(r.confidence for r in taken) / len(taken), _rows_box(taken))


def _text(spec: FieldSpec, rows: list[Row]) -> Found | None:
    for k, row in enumerate(rows):
        if not _has(row.text, spec.anchors):
            continue
        upper = row.text.upper()
        after = max(upper.find(a.upper()) + len(a) for a in spec.anchors if a.upper() in upper) \
            if any(a.upper() in upper for a in spec.anchors) else 0
        for candidate in (row.text[after:], rows[k + 1].text if k + 1 < len(rows) else ""):
            for pattern in spec.patterns or [r"\S.*\S|\S"]:
                match = re.search(pattern, candidate.strip(" :#"), flags=re.IGNORECASE)
                if match:
                    return Found(match.group(0), match.group(0), row.confidence, row.box)
    return None


def extract_fields(words: Sequence[Word], field_set: FieldSet, extractor: str = "auto",
                   model: FieldModel | None = None) -> dict[str, Found | None]:
    """Every field of the set from a page's words (None where a field is not found).

    ``extractor``: ``auto`` (the default) = learned for the bundled receipt set when the model loads,
    else the rules, with the reason logged; ``rules``; ``learned`` (the bundled model of
    ``field_model.py``, or ``model``; only for the bundled receipt field set). The bundled model is the
    rules' values with company/address words corrected from the tuning receipts' vocabulary: it beat
    the rules alone in 5-fold cross-validation on the tuning receipts' PP-OCRv4 readings (88.5 % vs 87.0 %, issue
    25f); on PP-OCRv6 readings the two tie (93.5 %, ``benchmarks.ocr_fields_cv``).
    """
    if extractor not in ("auto", "rules", "learned"):
        raise ValueError(f"extractor must be auto, rules or learned, got {extractor!r}")
    if extractor != "rules":
        from vision.ocr.field_model import FieldModel as Model

        if field_set != load_field_set():
            if extractor == "learned":
                raise ConfigError(f"the learned field model covers the bundled receipt field set only, not "
                                  f"{field_set.name!r}")
            log.debug("field set %r is not the bundled receipt set: rules used", field_set.name)
        else:
            try:
                return (model or Model.bundled()).extract(words, field_set)
            except ConfigError as exc:
                if extractor == "learned":
                    raise
                log.warning("learned field model not used (%s): rules used", exc)
    return extract_rules(words, field_set)


def extract_rules(words: Sequence[Word], field_set: FieldSet) -> dict[str, Found | None]:
    """Every field of the set from a page's words by the rules alone (None where a field is not found)."""
    rows = group_rows([w for w in words if w.text.strip()])
    company = next((f for f in field_set.fields if f.kind == "company"), None)
    found: dict[str, Found | None] = {}
    for spec in field_set.fields:
        if not rows:
            found[spec.name] = None
        elif spec.kind == "amount":
            found[spec.name] = _amount(spec, rows)
        elif spec.kind == "date":
            found[spec.name] = _date(spec, rows)
        elif spec.kind == "company":
            found[spec.name] = _company(spec, rows)
        elif spec.kind == "address":
            found[spec.name] = _address(spec, rows, company)
        else:
            found[spec.name] = _text(spec, rows)
    return found


# -- comparing with labelled values -------------------------------------------------------------
def normalise_value(name: str, value: str | None) -> str | None:
    """The form a labelled and an extracted value are compared in.

    ``total``: a decimal with two places; ``date``: ISO 8601 (the labelled text parsed like the
    receipt's); other fields: their letters and digits in upper case (spacing and punctuation are
    ignored: the SROIE key files add commas and spaces between lines that the receipts do not print).
    """
    if value is None:
        return None
    if name == "total":
        amount = parse_amount(value) if not re.fullmatch(r"\d+", value.strip()) else Decimal(value.strip())
        return f"{amount:.2f}" if amount is not None else value.strip()
    if name == "date":
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return value.strip()
        parsed = parse_date(value)
        return parsed.isoformat() if parsed else value.strip()
    return re.sub(r"[^0-9A-Z]", "", value.upper())


def same_value(name: str, truth: str, extracted: str | None) -> bool:
    """Exact match after ``normalise_value``; a missing extraction is wrong."""
    return extracted is not None and normalise_value(name, truth) == normalise_value(name, extracted)
