"""Tiny generated inputs for contract tests and benchmarks (no data files needed)."""
from __future__ import annotations

_SAMPLES = (
    "A warm, funny and beautifully acted film.",
    "The plot is a mess and the dialogue is painfully dull.",
    "I expected more, but the last act almost saves it.",
    "One of the best performances of the year.",
    "Two hours of my life I will never get back.",
)


def sample_inputs(n: int) -> list[str]:
    """``n`` short English review sentences, cycling through a fixed set."""
    return [_SAMPLES[i % len(_SAMPLES)] for i in range(n)]


def bad_input() -> str:
    """Whitespace only: predict must reject it with InvalidInput."""
    return "   \n\t "
