"""Real texts: SST-2 movie-review phrases as the reference, AG News as the shifted domain."""
from __future__ import annotations

from pathlib import Path

from serving.monitoring import Monitor, MonitorSettings
from serving.monitoring.profile import reference_from_path
from tests.serving.monitoring.conftest import Clock


def _lines(path: Path, start: int, n: int) -> list[str]:
    rows = path.read_text(encoding="utf-8").splitlines()[start:start + n]
    return [r.split("\t")[0] for r in rows if r.strip()]


def test_sst2_then_agnews_drifts_only_in_the_news_window(shared_data: Path, tmp_path: Path) -> None:
    sst2 = next(p for p in sorted((shared_data / "sst2").iterdir()) if "train" in p.name)
    dev = next(p for p in sorted((shared_data / "sst2").iterdir()) if "dev" in p.name)
    agnews = next(p for p in sorted((shared_data / "agnews").iterdir()) if p.suffix in (".tsv", ".txt"))
    train_part = tmp_path / "train.tsv"
    train_part.write_text("\n".join(_lines(sst2, 1, 3000)), encoding="utf-8")
    clock = Clock()
    monitor = Monitor(tmp_path, "acme", MonitorSettings(background=False, seed=0), clock=clock)
    monitor.register_reference(reference_from_path(train_part, task="sentiment", version="v1"))
    for text in _lines(dev, 1, 300):
        monitor.observe("sentiment", "v1", "text", [text], None, 200)
    clock.now += 3600
    for text in _lines(agnews, 1, 300):
        monitor.observe("sentiment", "v1", "text", [text], None, 200)
    first, second = [w.drift for w in monitor.summary("1d").windows]
    assert first.drifted_features == []
    assert {"chars", "tokens", "upper_share"} <= set(second.drifted_features)
