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


def test_a_date_glued_to_its_time_is_read() -> None:
    """The reader may print no space between a receipt's date and time (``30/05/201710:18:02``)."""
    assert parse_date("30/05/201710:18:02") == datetime.date(2017, 5, 30)
    assert parse_date("DATE: 02/01/201811:05 AM") == datetime.date(2018, 1, 2)
    assert parse_date("21/02/1811:19") == datetime.date(2018, 2, 21)  # a two-digit year too
    assert parse_date("23/03/20183:13:19") == datetime.date(2018, 3, 23)
    assert parse_date("30/05/201710") is None  # a year followed by more digits and no time is not a date


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


def _rules(*rows: str) -> dict[str, str | None]:
    """The rules' values on a page of the given rows (one row per 30 px), bundled receipt set."""
    from vision.ocr.fields import extract_rules

    words = [w for k, text in enumerate(rows) for w in _line(text, 10 + 30 * k)]
    return {name: (hit.value if hit else None) for name, hit in extract_rules(words, load_field_set()).items()}


def test_total_rounded_to_five_sen_only_on_a_page_with_a_rounding_row() -> None:
    assert _rules("SHOP SDN BHD", "TOTAL AMT. RM 60.31", "ROUNDING ADJ -0.01", "CASH RM 70.30")["total"] == "60.30"
    assert _rules("SHOP SDN BHD", "TOTAL (RM) : 112.46", "Roundlng (RM) : -0.02")["total"] == "112.45"  # misread
    assert _rules("SHOP SDN BHD", "TOTAL AMT. RM 60.31", "CASH RM 70.30")["total"] == "60.31"


def test_total_includes_gst_row_is_the_tax_unless_it_is_the_largest() -> None:
    rows = ("MCD SDN BHD", "TakeOut Total (incl GST) 26.60", "Total Rounded 26.60", "TOTAL INCLUDES 6% GST 1.51")
    assert _rules(*rows)["total"] == "26.60"
    assert _rules("SHOP SDN BHD", "Total Incl , GST@6% RM 37.10", "CHANGE RM. 12.90")["total"] == "37.10"


def test_date_with_digits_split_by_spaces() -> None:
    assert _rules("SHOP SDN BHD", "Doc No CS00031663 Date 25/1 2/20 18 10:31")["date"] == "2018-12-25"
    assert _rules("SHOP SDN BHD", "Date 25/12/2018 10:31", "REF 1 2/20 18")["date"] == "2018-12-25"


def test_company_rows() -> None:
    assert _rules("tan woon yann", "INDAH GIFT & HOME DECO", "27,JALAN DEDAP 13")["company"] == "INDAH GIFT & HOME DECO"
    company = _rules("AIK HUAT HARDWARE", "ENTERPRISE (SETIA ALAM)", "SIN BHD", "822737-X", "NO. 17-G, JALAN SETIA")
    assert company["company"] == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    assert company["address"] == "NO. 17-G, JALAN SETIA"
    assert _rules("PASAR MINI JIN SENG", "379,JALAN PERMAS SATU,", "(CO. NO. JM0195368-D)")["company"] \
        == "PASAR MINI JIN SENG"
    assert _rules("BREWERY TAP", "Owner by Castle Blue 57B", "( 1035683-T)")["company"] == "Owner by Castle Blue S/B"
    assert _rules("TEO HENG STATIONERY S BOOKS", "NO. 53, JALAN BESAR")["company"] == "TEO HENG STATIONERY & BOOKS"


def test_address_rows() -> None:
    found = _rules("Gerbang Alaf Restaurants Sdn Bhd", "formerly known as", "Golden Arches Restaurants Sdn Bhd",
                   "Licensee of McDonald's", "Level 6, Bangunan TH,", "47400 Petaling Jaya", "Selangor",
                   "(GST ID No: 000504664064)")
    assert found["address"] == "Level 6, Bangunan TH, 47400 Petaling Jaya Selangor"
    found = _rules("MR D.I.Y. (M) SDN BHD", "(CO. RFG : 86Q671 -D)", "10T 1851-A, JALAN KPB 6,", "43300 SERI KEMBANGAN",
                   "SELANGOR", "TAXI NVOICE")
    assert found["address"] == "LOT 1851-A, JALAN KPB 6, 43300 SERI KEMBANGAN SELANGOR"
    assert _rules("SHOP SDN BHD", "Bandar Sri D'sara, 52oo0 KL", "TEL : 03-1234")["address"] == "Bandar Sri D'sara, 52000 KL"


def test_no_company_below_the_address() -> None:
    """Where the shop's name was not read (a logo; tuning receipt 047) the page starts with the address: the
    fallback company (the first row of letters) is never an address row or a row below one."""
    found = _rules("K3-113,JL IBRAHIM SULTAN", "80300 JOHOR BAHRU", "JOHOR", "H/P: 019-7521215", "09/03/2018 21:28",
                   "CASH", "RM 170.00")
    assert found["company"] is None
    assert found["address"] == "K3-113,JL IBRAHIM SULTAN 80300 JOHOR BAHRU JOHOR"
    found = _rules("GOLDEN PALACE (65351-M)", "NO 5, JALAN BESAR,", "81100 JOHOR BAHRU")  # a registration number
    assert found["company"] == "GOLDEN PALACE" and found["address"] == "NO 5, JALAN BESAR, 81100 JOHOR BAHRU"
    assert _rules("tan chay yee", "FUYI MINIMARKET", "NO 43-45-47G,", "TAMAN SEJATI,", "45600 BESTARI JAYA")["company"] \
        == "FUYI MINIMARKET"


def test_address_lot_read_with_a_dot() -> None:
    """PP-OCRv6 reads the L of a leading ``LOT`` as ``1.`` (tuning receipt 027); an ordinary number stays."""
    found = _rules("MR. D.I.Y. (M) SDN BHD", "(CO Reg :860671=D)", "1.OT 1851-A & 1851-B, JALAN KPB 6,",
                   "43300 SERI KEMBANGAN, SELANGOR", "(GST ID No :000306020352)")
    assert found["address"] == "LOT 1851-A & 1851-B, JALAN KPB 6, 43300 SERI KEMBANGAN, SELANGOR"
    assert _rules("SHOP SDN BHD", "1.01, JALAN BESAR", "43300 SERI KEMBANGAN", "TEL 03")["address"] \
        == "1.01, JALAN BESAR 43300 SERI KEMBANGAN"


def test_vocabulary_keeps_plurals() -> None:
    from vision.ocr.field_vocabulary import Vocabulary

    vocabulary = Vocabulary.build(["GOLDEN RESTAURANT", "TAMAN JOHOR JAYA"])
    assert vocabulary.correct("RESTAURANTS JAVA") == "RESTAURANTS JAYA"
