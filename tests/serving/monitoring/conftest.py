"""Generated traffic for monitoring tests: customer records, review- and news-like texts, images."""
from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageFilter

REVIEW_WORDS = ["this", "movie", "was", "a", "wonderful", "and", "moving", "film", "with", "great", "acting", "but", "the", "plot", "felt", "thin", "and", "slow", "in", "places", "i", "loved", "the", "soundtrack", "and", "the", "ending", "was", "sweet"]
NEWS_HEADS = ["Reuters", "AP", "AFP", "NEW YORK", "LONDON", "TOKYO", "WASHINGTON"]
NEWS_WORDS = ["Shares", "of", "Microsoft", "Corp", "rose", "4.5", "percent", "on", "Tuesday", "after", "the", "company", "said", "third-quarter", "profit", "beat", "forecasts,", "while", "the", "Federal", "Reserve", "kept", "rates", "at", "2.25", "percent", "and", "Oil", "prices", "climbed", "to", "$48", "a", "barrel", "in", "New", "York", "trading"]


def records(n: int, seed: int = 0, shifted: bool = False) -> list[dict]:
    """Customers; ``shifted`` = older and richer (the acceptance test's income and age shift)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(42 + (15 if shifted else 0), 11, n).clip(18, 95).round()
    income = rng.lognormal(10.4 + (0.6 if shifted else 0.0), 0.35, n).round(2)
    return [{"customer_id": f"c{seed}-{i}", "age": float(a), "income": float(inc),
             "region": str(rng.choice(["north", "south", "east", "west"], p=[0.4, 0.3, 0.2, 0.1])),
             "sex": str(rng.choice(["F", "M"])), "tenure_months": int(rng.integers(0, 240))}
            for i, (a, inc) in enumerate(zip(age, income))]


def review_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(REVIEW_WORDS, int(rng.integers(4, 20)))) for _ in range(n)]


def news_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"{rng.choice(NEWS_HEADS)} - " + " ".join(rng.choice(NEWS_WORDS, int(rng.integers(25, 45)))) + "."
            for _ in range(n)]


def images(n: int, seed: int = 0, shifted: bool = False) -> list[bytes]:
    """Textured 160x120 JPEGs; ``shifted`` = darker and blurrier (same size)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        level = rng.uniform(90, 170)
        pixels = np.clip(level + rng.normal(0, 40, (120, 160, 3)), 0, 255).astype(np.uint8)
        img = Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
        if shifted:
            img = img.filter(ImageFilter.GaussianBlur(2.5)).point(lambda v: int(v * 0.45))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


class Clock:
    """A settable clock, so a test can move traffic into the next hourly window."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Callable[[], float]:
    return Clock()
