"""The request id a response echoes and every log line quotes: the caller's, when it is a sane token.

A caller may send ``X-Request-Id`` to correlate its own logs with ours. It is echoed in a header
and written to logs, so anything else than a short token (8,000 characters, ``<script>``, a newline
that forges a log line) is replaced by a fresh id instead of being trusted.

>>> request_id_from({"x-request-id": "order-42.retry:1"})
'order-42.retry:1'
>>> len(request_id_from({"x-request-id": "<script>alert(1)</script>"}))
32
"""
from __future__ import annotations

import random
import re
from collections.abc import Mapping

HEADER = "x-request-id"
MAX_LENGTH = 128
_SANE = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")


def new_request_id() -> str:
    """A fresh random id (32 hex characters). It correlates log lines and guards nothing, so it comes from
    the fast non-cryptographic generator (``uuid4`` reads the OS's random source on every request)."""
    return f"{random.getrandbits(128):032x}"


def is_sane_request_id(value: str) -> bool:
    """1-128 characters of ``A-Z a-z 0-9 . _ : -`` and nothing else."""
    return _SANE.fullmatch(value) is not None


def request_id_from(headers: Mapping[str, str]) -> str:
    """The caller's ``X-Request-Id`` when it is sane, else a new one (never an error: the id is a courtesy)."""
    value = headers.get(HEADER)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == HEADER), None)
    return value if value is not None and is_sane_request_id(value) else new_request_id()
