"""The examples in the library's docstrings run and hold (``>>>`` lines are documentation users copy)."""
from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

PACKAGES = ("core", "vision", "nlp", "tabular", "batch", "serving")
# modules that build a BentoML service at import time (they need AIS_CONFIG): no doctests there
SKIP_PREFIXES = ("serving.services", "serving.gateway")


def _modules() -> list[str]:
    """The library modules whose source holds a docstring example (``__main__`` modules run when imported)."""
    names = []
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None
        for info in pkgutil.walk_packages(list(spec.submodule_search_locations), prefix=f"{package}."):
            if info.ispkg or info.name.startswith(SKIP_PREFIXES) or info.name.endswith(".__main__"):
                continue
            origin = importlib.util.find_spec(info.name).origin  # type: ignore[union-attr]
            if origin and ">>> " in Path(origin).read_text(encoding="utf-8"):
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed
        pytest.skip(f"{name}: {exc}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"
