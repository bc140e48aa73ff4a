"""``python -m benchmarks …``: the ``ais bench`` command without needing the project pip-installed (see gpu.sh)."""
from __future__ import annotations

import logging
import os
import sys

from core.errors import AisError
from core.logs import configure_logging
from core.offline import enforce_offline


def main() -> int:
    configure_logging(logging.DEBUG if os.environ.get("AIS_BENCH_DEBUG") else logging.INFO)
    enforce_offline()
    from benchmarks.cli import app

    try:
        app(prog_name="python -m benchmarks", standalone_mode=False)
    except AisError as exc:
        logging.getLogger("benchmarks").error("%s", exc)
        return 2
    except SystemExit as exc:  # click's own exits (usage errors, --help)
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
