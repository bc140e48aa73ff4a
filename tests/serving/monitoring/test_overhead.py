from __future__ import annotations

from serving.monitoring.overhead import measure_overhead


def test_overhead_is_measured_for_every_kind_and_the_request_path_is_cheap() -> None:
    results = {r.kind: r for r in measure_overhead(requests=8)}
    assert set(results) == {"text", "image", "record"}
    for r in results.values():
        assert 0 < r.request_path_us_p50 < 1000  # count + sample + enqueue; even on a loaded CI machine
        assert r.inline_us_p50 > 0
