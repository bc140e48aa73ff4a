"""Traffic routing between model versions: sticky canary split by caller, optional shadow copy."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from serving.config import Traffic


@dataclass(frozen=True)
class Route:
    version: str
    role: str  # "live" or "canary"
    shadow: str | None


def bucket(task: str, caller: str) -> float:
    """A stable number in [0, 100) per (task, caller): the same caller always lands in the same slice."""
    digest = hashlib.sha256(f"{task}\x00{caller}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100.0


def route(task: str, policy: Traffic, caller: str) -> Route:
    if policy.canary and policy.canary_percent > 0 and bucket(task, caller) < policy.canary_percent:
        return Route(policy.canary, "canary", policy.shadow)
    return Route(policy.live, "live", policy.shadow)
