"""Tiny generated inputs for contract tests and benchmarks, and a small labelled corpus for fast tests."""
from __future__ import annotations

import random

_SAMPLES = (
    "Oil prices climbed as investors weighed quarterly profit reports from big banks.",
    "The striker scored twice as the champions won the cup final on Sunday night.",
    "A new chip promises faster laptops and longer battery life, the company said.",
    "Leaders met at the summit to discuss the ceasefire and refugee aid.",
)

_THEMES: dict[str, tuple[str, ...]] = {
    "sport": ("match", "goal", "coach", "season", "striker", "league", "cup", "team", "win", "stadium"),
    "markets": ("shares", "profit", "investors", "quarter", "earnings", "stocks", "bank", "prices", "oil", "rates"),
    "space": ("rocket", "orbit", "nasa", "launch", "astronauts", "mars", "satellite", "telescope", "moon", "probe"),
}
_FILLER = ("the", "a", "on", "after", "with", "and", "new", "big", "report", "today")


def sample_inputs(n: int) -> list[str]:
    """``n`` short news sentences, cycling through a fixed set."""
    return [_SAMPLES[i % len(_SAMPLES)] for i in range(n)]


def bad_input() -> str:
    """Empty text: predict must reject it with InvalidInput."""
    return ""


def themed_corpus(n_per_theme: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    """Documents drawn from three disjoint word themes (with shared filler), and their theme names."""
    rng = random.Random(seed)
    texts, labels = [], []
    for theme, words in _THEMES.items():
        for _ in range(n_per_theme):
            body = rng.choices(words, k=6) + rng.choices(_FILLER, k=4)
            rng.shuffle(body)
            texts.append(" ".join(body))
            labels.append(theme)
    return texts, labels
