"""Outside labelled face sets for ``evaluate`` and ``ais bench --data face=PATH``: identity folders
(open-set identification on a seeded enrolled/stranger split), an LFW ``pairs.txt`` or a pairs CSV
(verification), read in their standard formats."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.errors import InvalidInput

Format = Literal["auto", "folders", "lfw-pairs", "csv-pairs"]


def detect_format(path: Path, fmt: str = "auto") -> str:
    """``auto``: a folder with ``pairs.txt`` is LFW, another folder is identity folders, ``.csv`` pairs."""
    if fmt != "auto":
        if fmt not in ("folders", "lfw-pairs", "csv-pairs"):
            raise InvalidInput(f"unknown face data format {fmt!r}; use auto, folders, lfw-pairs or csv-pairs")
        return fmt
    if path.is_dir():
        return "lfw-pairs" if (path / "pairs.txt").is_file() else "folders"
    if path.suffix.lower() == ".csv":
        return "csv-pairs"
    if path.suffix.lower() == ".txt":
        return "lfw-pairs"
    raise InvalidInput(f"cannot tell the format of {path}; give the format: folders, lfw-pairs or csv-pairs")


@dataclass(frozen=True)
class OutsideFaces:
    """An outside set and how to score it (``FaceAnalyzer.evaluate`` calls ``score``)."""

    name: str
    kind: str
    data: Any

    def score(self, analyzer: Any, threshold: float | None = None, *, seed_plot: Path | None = None) -> Any:
        from vision.face.evaluate import evaluate_open_set, evaluate_pairs

        t = threshold if threshold is not None else analyzer.embedder.threshold
        if self.kind == "folders":
            return evaluate_open_set(analyzer, self.data, threshold=t, plot=seed_plot)
        return evaluate_pairs(analyzer, self.data, threshold=t, name=self.name)


def read_data(path: str | Path, format: str = "auto", *, stranger_share: float = 0.5, seed: int = 0,
              images: str | Path | None = None) -> OutsideFaces:
    from vision.face.datasets import identity_folders, open_set_split, read_lfw_pairs, read_pairs

    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    kind = detect_format(path, format)
    if kind == "folders":
        split = open_set_split(identity_folders(path), stranger_share=stranger_share, seed=seed)
        return OutsideFaces(path.name, kind, split)
    if kind == "lfw-pairs":
        pairs_file = path / "pairs.txt" if path.is_dir() else path
        return OutsideFaces(pairs_file.name, kind, read_lfw_pairs(pairs_file, images))
    return OutsideFaces(path.name, kind, read_pairs(path))
