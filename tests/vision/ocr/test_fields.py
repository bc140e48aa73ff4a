"""Key-field rules on word boxes (no model): rows, amounts, dates, company, address, client field sets."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.errors import ConfigError
from vision.ocr.fields import Word, extract_fields, load_field_set, parse_amount, parse_date, same_value


def _line(text: str, y: float, x: float = 10.0) -> list[Word]:
    words, at = [], x
    for token in text.split():
        words.append(Word(token, (at, y, at + 12 * len(token), y + 20), 0.9))
        at += 12 * len(token) + 10
    return words


RECEIPT = (_line("TAN WOON YANN", 10) + _line("ABC HARDWARE SDN BHD (123456-X)", 40) + _line("NO 5, JALAN BESAR,", 70)
           + _line("81100 JOHOR BAHRU, JOHOR.", 100) + _line("TEL: 07-1234567", 130)
           + _line("DATE: 19/10/2018 10:31", 160) + _line("SUBTOTAL", 190) + _line("60.28", 190, x=400)
           + _line("TOTAL", 220) + _line("RM 60.28", 220, x=400) + _line("ROUNDED TOTAL", 250)
           + _line("RM 60.30", 250, x=400) + _line("CASH RM 100.00", 280) + _line("GST SUMMARY TOTAL 56.87 3.41", 310))


@pytest.mark.parametrize("extractor", ["rules", "auto"])  # auto: the bundled learned model
def test_receipt_fields_from_layout(extractor: str) -> None:
    found = extract_fields(RECEIPT, load_field_set(), extractor)
    assert found["company"] is not None and found["company"].value == "ABC HARDWARE SDN BHD"
    assert found["date"] is not None and found["date"].value == "2018-10-19"
    assert found["address"] is not None and found["address"].value == "NO 5, JALAN BESAR, 81100 JOHOR BAHRU, JOHOR."
    total = found["total"]
    assert total is not None and total.value == "60.30" and total.currency == "MYR"
    assert total.box[0] < 400 < total.box[2]  # the label and the amount in another column share one row


def test_amounts_and_dates() -> None:
    assert parse_amount("TOTAL RM 1,234.50") == Decimal("1234.50")
    assert parse_amount("7 , 00") == Decimal("7.00")  # a decimal point read with spaces around it
    assert parse_amount("QTY 2") is None
    assert parse_amount("33,90") == Decimal("33.90")
    assert parse_date("12-01-19 21:13") == datetime.date(2019, 1, 12)
    assert parse_date("05 MAR 2018 18:24") == datetime.date(2018, 3, 5)
    assert parse_date("HC03-7 - 15") is None and parse_date("99/99/2018") is None


def test_labelled_values_compare_normalised() -> None:
    assert same_value("date", "12/28/2017", "2017-12-28") and same_value("total", "9.00", "9.00")
    assert same_value("address", "NO 5, JALAN BESAR", "NO 5 ,JALAN BESAR") and not same_value("total", "9.00", None)
    assert not same_value("company", "ABC", "ABD")


def test_client_field_set_from_yaml(tmp_path) -> None:
    path = tmp_path / "client.yaml"
    path.write_text("name: invoices\nfields:\n  - name: invoice_number\n    kind: text\n"
                    "    anchors: ['INVOICE NO']\n    patterns: ['[A-Z]{2}-\\d{4}']\n", encoding="utf-8")
    field_set = load_field_set(path)
    words = _line("INVOICE NO: AB-1234 PAGE 1", 10)
    found = extract_fields(words, field_set)["invoice_number"]
    assert found is not None and found.value == "AB-1234"
    path.write_text("name: bad\nfields:\n  - name: x\n    kind: colour\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid"):
        load_field_set(path)
    path.write_text("name: bad\nfields:\n  - name: x\n    patterns: ['(']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="pattern"):
        load_field_set(path)
