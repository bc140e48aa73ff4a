"""API keys map to tenants in constant time; canary routing is sticky and proportional."""
from __future__ import annotations

import pytest

from core.errors import Unauthorized
from serving.auth import KeyRing
from serving.config import ApiKey, Traffic, hash_key
from serving.traffic import bucket, route


def test_keys_map_to_tenants() -> None:
    ring = KeyRing([ApiKey(tenant="a", sha256=hash_key("ka")), ApiKey(tenant="b", sha256=hash_key("kb"))])
    assert ring.authenticate({"authorization": "Bearer ka"}) == "a"
    assert ring.authenticate({"x-api-key": "kb"}) == "b"
    for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": "Basic ka"}, {"x-api-key": ""}):
        with pytest.raises(Unauthorized):
            ring.authenticate(headers)


def test_canary_share_and_stickiness() -> None:
    policy = Traffic(live="m:1", canary="m:2", canary_percent=20)
    routes = [route("sentiment", policy, f"caller-{i}") for i in range(5000)]
    share = sum(r.role == "canary" for r in routes) / len(routes)
    assert 0.18 < share < 0.22
    assert all(route("sentiment", policy, f"caller-{i}") == routes[i] for i in range(100))
    assert 0 <= bucket("t", "c") < 100


def test_no_canary_and_shadow_passthrough() -> None:
    policy = Traffic(live="m:1", shadow="m:3")
    r = route("ocr", policy, "x")
    assert (r.version, r.role, r.shadow) == ("m:1", "live", "m:3")
