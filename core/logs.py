"""Logging setup for the CLI and services: readable, timestamped, to stderr."""
from __future__ import annotations

import logging


def configure_logging(level: int | str = logging.INFO) -> None:
    """Route the project's logs through rich (when present) and quieten chatty libraries."""
    try:
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
        fmt = "%(message)s"
    except ImportError:  # pragma: no cover - rich is a base dependency
        handler = logging.StreamHandler()
        fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt, datefmt="[%X]", handlers=[handler], force=True)
    for noisy in ("urllib3", "httpx", "PIL", "matplotlib", "numba", "filelock", "h5py"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
