"""The report and the CLI end to end: references from files, traffic, fairness, ``ais monitor report``."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.monitoring import Monitor, MonitorSettings
from serving.monitoring.cli import app
from serving.monitoring.profile import load_reference, reference_path
from tests.serving.monitoring.conftest import Clock, images, records, review_texts
from tests.serving.monitoring.test_fairness import scored_csv

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.stdout


def test_reference_cli_from_table_texts_and_images(tmp_path: Path) -> None:
    table = tmp_path / "train.parquet"
    pd.DataFrame(records(300)).to_parquet(table)
    texts = tmp_path / "train.tsv"
    texts.write_text("\n".join(f"{t}\t1" for t in review_texts(50)), encoding="utf-8")
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, data in enumerate(images(4)):
        (folder / f"{i}.jpg").write_bytes(data)
    state = str(tmp_path / "state")
    _ok(["reference", "--task", "propensity", "--version", "v1", "--data", str(table), "--state-dir", state])
    _ok(["reference", "--task", "sentiment", "--version", "v1", "--data", str(texts), "--state-dir", state])
    _ok(["reference", "--task", "ocr", "--version", "v1", "--data", str(folder), "--state-dir", state])
    table_ref = load_reference(reference_path(Path(state), "propensity", "v1"))
    assert set(table_ref.features) == {"age", "income", "region", "sex", "tenure_months"}  # customer_id dropped
    assert load_reference(reference_path(Path(state), "sentiment", "v1")).items == 50
    assert load_reference(reference_path(Path(state), "ocr", "v1")).features["width"].numeric.max == 160
    raw = reference_path(Path(state), "sentiment", "v1").read_text()
    assert review_texts(50)[0] not in raw  # summaries only


@pytest.mark.slow  # trains the biased model, imports matplotlib
def test_report_shows_drift_quality_and_fairness_gap(tmp_path: Path) -> None:
    state = tmp_path / "state"
    clock = Clock(time.time() - 2 * 3600)
    monitor = Monitor(state, "acme", MonitorSettings(background=False, seed=0), clock=clock)
    table = tmp_path / "train.csv"
    pd.DataFrame(records(1500, seed=1)).to_csv(table, index=False)
    _ok(["reference", "--task", "propensity", "--version", "v1", "--data", str(table), "--state-dir", str(state)])
    for shifted in (False, True):
        rows = records(300, seed=5 + shifted, shifted=shifted)
        for i in range(0, 300, 10):
            monitor.observe("propensity", "v1", "record", rows[i:i + 10], [{"score": 0.2}] * 10, 200)
        monitor.observe("propensity", "v1", "record", None, None, 401)
        clock.now += 3600
    monitor.close()
    fairness = _ok(["fairness", "--data", str(scored_csv(tmp_path)), "--group", "age", "--group", "sex",
                    "--group", "region", "--age-column", "age", "--top", "0.2", "--y-true", "converted",
                    "--client", "acme", "--state-dir", str(state), "--version", "biased"])
    assert json.loads(fairness)["flagged"][-1] == "sex"
    out = tmp_path / "report"
    _ok(["report", "--client", "acme", "--since", "1d", "--state-dir", str(state), "--out", str(out)])
    markdown = (out / "report.md").read_text()
    assert "Drift flagged in 1 window(s)" in markdown and "(age, income)" in markdown
    assert "### Fairness: propensity:biased" in markdown and "| sex |" in markdown and "**yes**" in markdown
    assert (out / "quality.png").stat().st_size > 1000 and (out / "drift_propensity_v1.png").stat().st_size > 1000
    assert "<table>" in (out / "report.html").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert [w["quality"]["rejected_rate"] for w in summary["windows"]] == [round(1 / 31, 6)] * 2
    result = runner.invoke(app, ["drift", "--client", "acme", "--since", "1d", "--state-dir", str(state)])
    assert result.exit_code == 1 and "age, income" in result.output
