"""Plate formats: templates, country filters, display forms."""
from __future__ import annotations

import pytest

from core.errors import InvalidInput
from vision.plate.formats import FORMATS, formats_for, match_format, normalise


def test_brazilian_formats_are_recognised() -> None:
    assert match_format("ABC1234", formats_for("BR")).name == "br_old"
    assert match_format("ABC1D23").name == "br_mercosur"
    assert match_format("AB123CD").name == "eu_fr"
    assert match_format("7ABC123").name == "us_ca"
    assert match_format("B1234XYZ").country == "ID"


def test_text_that_fits_no_format() -> None:
    assert match_format("1234567") is None
    assert match_format("") is None


def test_country_filter_and_unknown_country() -> None:
    assert {f.country for f in formats_for("id")} == {"ID"}
    assert len(formats_for("auto")) == len(FORMATS)
    with pytest.raises(InvalidInput, match="unknown plate country"):
        formats_for("XX")


def test_normalise_and_display() -> None:
    assert normalise(" abc-1234 ") == "ABC1234"
    assert formats_for("BR")[0].display("ABC1234") == "ABC-1234"
    indonesian = match_format("B1234XYZ")
    assert indonesian is not None and indonesian.display("B1234XYZ") == "B 1234 XYZ"
