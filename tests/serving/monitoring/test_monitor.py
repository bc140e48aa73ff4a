"""Acceptance: traffic from the training distribution, then a shifted one, through ``Monitor.observe``."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from serving.monitoring import Monitor, MonitorSettings
from serving.monitoring.profile import reference_from_images, reference_from_records, reference_from_texts
from serving.monitoring.store import store_path
from tests.serving.monitoring.conftest import Clock, images, news_texts, records, review_texts

HOUR = 3600


def _monitor(tmp_path: Path, clock: Clock, **settings: object) -> Monitor:
    options = {"background": False, "seed": 0, "sample_rates": {"image": 1.0, "text": 1.0, "record": 1.0}}
    return Monitor(tmp_path, "acme", MonitorSettings(**{**options, **settings}), clock=clock)


def _feed(monitor: Monitor, task: str, kind: str, payloads: list, batch: int = 4) -> None:
    for i in range(0, len(payloads), batch):
        chunk = payloads[i:i + batch]
        monitor.observe(task, "v1", kind, chunk, [{"label": "x", "score": 0.5}] * len(chunk), 200)


def _drifted_by_window(monitor: Monitor) -> list[list[str]]:
    summary = monitor.summary("1d")
    return [w.drift.drifted_features for w in summary.windows]


def test_tabular_drift_is_flagged_on_income_and_age_in_the_shifted_window_only(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_records(records(1500, seed=1), task="propensity", version="v1"))
    _feed(monitor, "propensity", "record", records(400, seed=2))
    clock.now += HOUR
    _feed(monitor, "propensity", "record", records(400, seed=3, shifted=True))
    assert _drifted_by_window(monitor) == [[], ["age", "income"]]


def test_text_drift_from_reviews_to_news(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_texts(review_texts(2000, seed=1), task="sentiment", version="v1"))
    _feed(monitor, "sentiment", "text", review_texts(300, seed=2))
    clock.now += HOUR
    _feed(monitor, "sentiment", "text", news_texts(300, seed=3))
    first, second = _drifted_by_window(monitor)
    assert first == []
    assert {"chars", "tokens", "upper_share", "digit_share"} <= set(second)


def test_prediction_drift_when_the_reference_has_outputs(tmp_path: Path, clock: Clock) -> None:
    texts = review_texts(400, seed=1)
    labels = [{"label": "positive" if i % 2 else "negative"} for i in range(400)]
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_texts(texts, task="sentiment", version="v1", outputs=labels))
    for text in review_texts(200, seed=2):
        monitor.observe("sentiment", "v1", "text", [text], [{"label": "negative"}], 200)
    assert _drifted_by_window(monitor) == [["output.label"]]


def test_image_drift_darker_and_blurrier(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_images(images(120, seed=1), task="ocr", version="v1"))
    _feed(monitor, "ocr", "image", images(60, seed=2))
    clock.now += HOUR
    _feed(monitor, "ocr", "image", images(60, seed=3, shifted=True))
    first, second = _drifted_by_window(monitor)
    assert first == []
    assert {"brightness", "blur"} <= set(second)
    assert not {"width", "height", "aspect"} & set(second)


def test_embedding_drift_by_mmd(tmp_path: Path, clock: Clock) -> None:
    rng = np.random.default_rng(0)
    texts = review_texts(400, seed=1)
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_texts(texts, task="topics", version="v1",
                                                    embeddings=rng.normal(0, 1, (400, 64))))
    for i in range(0, 100, 5):
        monitor.observe("topics", "v1", "text", texts[i:i + 5], None, 200, embeddings=rng.normal(0, 1, (5, 64)))
    clock.now += HOUR
    for i in range(0, 100, 5):
        monitor.observe("topics", "v1", "text", texts[i:i + 5], None, 200,
                        embeddings=rng.normal(0.6, 1, (5, 64)))
    windows = monitor.summary("1d").windows
    assert windows[0].drift.embeddings is not None and not windows[0].drift.embeddings.drifted
    assert windows[1].drift.embeddings.drifted and windows[1].drift.drifted


def test_quality_counts_rejections_missing_out_of_range_and_schema(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    monitor.register_reference(reference_from_records(records(500, seed=1), task="propensity", version="v1"))
    good = records(20, seed=2)
    bad = [{"age": None, "income": "lots", "region": "mars", "sex": "F", "tenure_months": 3, "colour": "blue"},
           {"age": 300.0, "income": 50_000.0, "region": "north", "sex": "M"}]
    monitor.observe("propensity", "v1", "record", good + bad, [{}] * 21 + [{"error": {"type": "InvalidInput"}}], 200)
    for _ in range(3):
        monitor.observe("propensity", "v1", "record", None, None, 422)
    quality = monitor.summary("1d").windows[0].quality
    assert quality.requests == 4 and quality.rejected_rate == pytest.approx(0.75)
    assert quality.items == 22 and quality.item_error_rate == pytest.approx(1 / 22, abs=1e-5)
    assert quality.missing == {"age": 1, "tenure_months": 1}
    assert quality.out_of_range == {"age": 1, "region": 1}
    assert quality.unknown_columns == {"colour": 1}
    assert quality.schema_violation_rate == pytest.approx(2 / 22, abs=1e-5)


def test_observe_never_raises_and_keeps_no_raw_input(tmp_path: Path, clock: Clock) -> None:
    monitor = _monitor(tmp_path, clock)
    secret = "my card number is 4111 1111 1111 1111 call me"
    monitor.observe("ocr", "v1", "image", [b"not an image"], None, 200)
    monitor.observe("sentiment", "v1", "text", [secret], [{"label": "neutral"}], 200)
    monitor.observe("propensity", "v1", "record", [["not", "a", "dict"]], None, 200)
    monitor.observe("propensity", "v1", "bogus-kind", [object()], object(), "not a status")  # type: ignore[arg-type]
    monitor.flush()
    raw = b"".join(p.read_bytes() for p in store_path(tmp_path, "acme").parent.glob("acme.sqlite*"))
    assert b"4111" not in raw and b"card" not in raw
    windows = {w.task: w for w in monitor.store.windows(0)}
    assert windows["ocr"].item_errors == 1 and windows["sentiment"].items == 1


def test_background_thread_is_thread_safe_and_samples(tmp_path: Path, clock: Clock) -> None:
    monitor = Monitor(tmp_path, "acme", MonitorSettings(seed=0, sample_rates={"text": 0.5}, flush_items=50), clock=clock)
    texts = review_texts(50)

    def worker() -> None:
        for text in texts:
            monitor.observe("sentiment", "v1", "text", [text], [{"label": "positive"}], 200)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monitor.close()
    (window,) = monitor.store.windows(0)
    assert window.requests == 200
    assert 60 <= window.sampled <= 140 and window.items == window.sampled
    assert window.features["tokens"].count == window.items


def test_images_beyond_the_byte_budget_are_dropped_not_queued(tmp_path: Path, clock: Clock) -> None:
    monitor = Monitor(tmp_path, "acme", MonitorSettings(queue_bytes=1000, sample_rates={"image": 1.0}), clock=clock)
    monitor.observe("ocr", "v1", "image", images(1), None, 200)
    monitor.close()
    assert monitor.dropped == 1 and monitor.store.windows(0)[0].requests == 1


def test_for_deployment_uses_the_config_state_dir_and_client(tmp_path: Path) -> None:
    from serving.config import parse_config

    config = parse_config({"client": "acme bank", "tasks": {"sentiment": {}}, "state_dir": str(tmp_path)})
    monitor = Monitor.for_deployment(config, MonitorSettings(background=False))
    monitor.observe("sentiment", "default", "text", ["fine"], None, 200)
    monitor.close()
    assert (tmp_path / "monitoring" / "acme_bank.sqlite").is_file()
