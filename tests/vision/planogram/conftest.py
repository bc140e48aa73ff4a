"""Shared fixtures: a planogram with one planted fault of each kind, rendered once per session."""
from __future__ import annotations

import random

import pytest

from vision.planogram.synth import Fault, Scene, render_scene


def planted_scene(seed: int = 11) -> Scene:
    """A 4-shelf held-out-style scene with a swap, a gap, an extra facing and a foreign product."""
    plan = render_scene(random.Random(seed), "heldout", faults=None)
    while len(plan.spec.shelves) < 4:
        seed += 1
        plan = render_scene(random.Random(seed), "heldout", faults=None)
    seqs = [shelf.sequence() for shelf in plan.spec.shelves]
    swap = next(i for i in range(1, len(seqs[0]) - 1) if seqs[0][i] != seqs[0][i + 1])
    faults = [
        Fault("swap", 0, swap),
        Fault("gap", 1, len(seqs[1]) // 2),
        Fault("extra", 2, len(seqs[2]) // 2),
        Fault("foreign", 3, len(seqs[3]) // 2),
    ]
    return render_scene(random.Random(seed + 1000), "heldout", spec=plan.spec, faults=faults)


@pytest.fixture(scope="session")
def faulty_scene() -> Scene:
    return planted_scene()
