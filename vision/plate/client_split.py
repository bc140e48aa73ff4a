"""A fixed split of a client's labelled photos: test (never tuned on), validation (early stopping), train.

Sorted by file name, the last ``test`` photos are the test set and the ``val`` before them the validation
set; the rest train. The split depends only on the names, so every command (``ais plate fine-tune``,
``ais plate evaluate --split test``) sees the same photos in each part.

>>> from vision.plate.datasets import PlateDataset, PlateSample
>>> ds = PlateDataset("c", [PlateSample(f"{i:03d}") for i in range(10)])
>>> [len(part) for part in split_client(ds, test=4, val=2)]
[4, 2, 4]
"""
from __future__ import annotations

from typing import Literal

from core.errors import InvalidInput
from vision.plate.datasets import PlateDataset

Part = Literal["train", "val", "test", "all"]
TEST_PHOTOS = 40  # of the 111 client photos: 71 to tune on (60 train + 11 validation), 40 to report on
VAL_PHOTOS = 11


def split_client(dataset: PlateDataset, test: int = TEST_PHOTOS, val: int = VAL_PHOTOS
                 ) -> tuple[PlateDataset, PlateDataset, PlateDataset]:
    """(train, validation, test) by sorted sample name: the last ``test`` are test, the ``val`` before them
    validation."""
    if test < 1 or val < 1:
        raise InvalidInput("the client split needs at least one test and one validation photo")
    samples = sorted(dataset.samples, key=lambda s: s.path.name if s.path is not None else s.name)
    if len(samples) < test + val + 1:
        raise InvalidInput(f"{dataset.name}: {len(samples)} photos are too few for {test} test + {val} validation "
                           "+ at least one training photo")
    cut_test, cut_val = len(samples) - test, len(samples) - test - val
    return (PlateDataset(f"{dataset.name}[train {cut_val}]", samples[:cut_val]),
            PlateDataset(f"{dataset.name}[val {val}]", samples[cut_val:cut_test]),
            PlateDataset(f"{dataset.name}[test {test}]", samples[cut_test:]))


def client_part(dataset: PlateDataset, part: Part, test: int = TEST_PHOTOS, val: int = VAL_PHOTOS) -> PlateDataset:
    """One part of ``split_client`` (``all``: the dataset unchanged)."""
    if part == "all":
        return dataset
    train, validation, held_out = split_client(dataset, test, val)
    return {"train": train, "val": validation, "test": held_out}[part]
