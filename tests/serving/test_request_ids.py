"""X-Request-Id: a sane caller id is kept, anything else is replaced (log forging, huge headers)."""
from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from serving.request_ids import MAX_LENGTH, request_id_from


@pytest.mark.parametrize("value", ["a", "order-42.retry:1", "0f" * 16, "A" * MAX_LENGTH])
def test_sane_request_id_is_kept(value: str) -> None:
    assert request_id_from(Headers({"X-Request-Id": value})) == value


@pytest.mark.parametrize("value", ["", "x" * 8000, "A" * (MAX_LENGTH + 1), "<script>alert(1)</script>",
                                   "id\nFORGED log line", "id with spaces", "é", "a/b"])
def test_invalid_request_id_is_replaced_by_a_new_one(value: str) -> None:
    got = request_id_from(Headers({"X-Request-Id": value}))
    assert got != value
    assert len(got) == 32 and all(c in "0123456789abcdef" for c in got)


def test_missing_request_id_gets_a_new_one_each_time() -> None:
    assert request_id_from(Headers({})) != request_id_from(Headers({}))


def test_plain_dict_headers_are_matched_without_regard_to_case() -> None:
    assert request_id_from({"X-Request-ID": "abc"}) == "abc"
