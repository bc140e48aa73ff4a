"""The plate speed benchmark: configurations side by side, one run folder with JSON, Markdown and a plot."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import plate_speed


def _result(images_per_s: dict[str, list[float]]) -> dict[str, object]:
    configs = []
    for name, speeds in images_per_s.items():
        rows = []
        for batch, speed in zip((1, 4), speeds, strict=True):
            row = {"scenario": "offline", "batch": batch, "repeats": 2, "images_per_s": speed,
                   "crops_read_per_image": 3.0, "detect_ms_per_image": 40.0, "read_ms_per_image": 60.0,
                   "text_rows_ms_per_image": 0.5, "end_to_end_p50_ms_per_batch": 100.0 * batch,
                   "end_to_end_p90_ms_per_batch": 110.0 * batch}
            rows.append(row)
        configs.append({"name": name, "reader": "crnn", "views": [], "load_s": 1.0, "results": rows})
    return {"task": "plate", "device": "cpu", "torch_threads": 1, "detector_sizes": [320, 256, 416],
            "view_fusion": "vote", "input": "480x360 generated photos, 1 plate", "configs": configs}


def test_report_gives_ratios_against_the_first_configuration(tmp_path: Path) -> None:
    result = _result({"crnn, 3 crops per box": [2.0, 4.0], "crnn, 1 crop per box": [5.0, 6.0]})
    folder = plate_speed.write_run(result, tmp_path)
    report = (folder / "report.md").read_text()
    assert "| crnn, 1 crop per box | 1 | 5.00 | 2.50 |" in report
    assert "| crnn, 1 crop per box | 4 | 6.00 | 1.50 |" in report
    assert "| crnn, 3 crops per box | 4 | 4.00 | 1.00 |" in report
    assert "](plate_speed.png)" in report
    assert (folder / "plate_speed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((folder / "results.json").read_text())
    assert [c["name"] for c in saved["configs"]] == ["crnn, 3 crops per box", "crnn, 1 crop per box"]
    assert saved["machine"]["cpu_cores_logical"] >= 1


@pytest.mark.parametrize("args", [["--views", "0"], ["--views", "4"], ["--views", "2,2"], ["--batches", "a"],
                                  ["--repeats", "0"]])
def test_bad_arguments_are_refused_before_anything_loads(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        plate_speed.main(args)
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_a_tiny_run_with_the_shipped_weights_times_every_stage(tmp_path: Path) -> None:
    assert plate_speed.main(["--batches", "1,2", "--repeats", "1", "--threads", "1", "--views", "2,1",
                             "--out", str(tmp_path)]) == 0
    [folder] = tmp_path.iterdir()
    saved = json.loads((folder / "results.json").read_text())
    by_name = {c["name"]: c for c in saved["configs"]}
    assert set(by_name) == {"crnn, 2 crops per box", "crnn, 1 crop per box"}
    for config in saved["configs"]:
        assert [r["batch"] for r in config["results"]] == [1, 2]
        assert all(r["images_per_s"] > 0 and r["detect_ms_per_image"] > 0 for r in config["results"])
    # Each box is read once per crop: two crops read twice as many as one.
    two, one = by_name["crnn, 2 crops per box"]["results"], by_name["crnn, 1 crop per box"]["results"]
    assert [r["crops_read_per_image"] for r in two] >= [r["crops_read_per_image"] for r in one]
