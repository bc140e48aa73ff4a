"""Describe the machine a run measured on: CPU, cores, RAM, GPUs, Python and package versions, git sha."""
from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from benchmarks.schemas import GpuInfo, MachineInfo

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ai-services", "torch", "torchvision", "transformers", "easyocr", "ultralytics", "facenet-pytorch",
            "dlib-bin", "scikit-learn", "lightgbm", "xgboost-cpu", "bentoml", "numpy", "pydantic", "httpx",
            "matplotlib")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def physical_cores() -> int | None:
    try:
        import psutil

        return psutil.cpu_count(logical=False)
    except ImportError:
        return None


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 2)
    except OSError:
        pass
    return None


def gpus(include_torch: bool) -> list[GpuInfo]:
    """GPUs from ``nvidia-smi`` when present; else from torch, but only if the caller allows importing it."""
    found: list[GpuInfo] = []
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=10, check=True).stdout
            for row in out.strip().splitlines():
                name, memory, driver = (part.strip() for part in row.split(","))
                found.append(GpuInfo(name=name, memory_mib=float(memory), driver=driver))
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            log.warning("nvidia-smi failed: %s", exc)
    if include_torch:
        try:
            import torch

            if torch.cuda.is_available():
                if not found:
                    for i in range(torch.cuda.device_count()):
                        props = torch.cuda.get_device_properties(i)
                        found.append(GpuInfo(name=props.name, memory_mib=props.total_memory / 2**20))
                found = [g.model_copy(update={"cuda": torch.version.cuda}) for g in found]
        except ImportError:
            pass
    return found


def package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for dist in PACKAGES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_state(repo: Path = REPO) -> tuple[str | None, bool | None]:
    """(HEAD sha, whether the tree has uncommitted changes); read-only git calls, None when no git."""
    if not shutil.which("git"):
        return None, None
    try:
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20, check=True).stdout.strip()
        return sha or None, bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, None


def describe_machine(include_torch: bool = False) -> MachineInfo:
    sha, dirty = git_state()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return MachineInfo(
        hostname=socket.gethostname(),
        os=platform.platform(),
        cpu_model=cpu_model(),
        cpu_cores_logical=os.cpu_count() or 1,
        cpu_cores_physical=physical_cores(),
        ram_gib=ram_gib(),
        load_average=load,
        gpus=gpus(include_torch),
        python=sys.version.split()[0],
        packages=package_versions(),
        git_sha=sha,
        git_dirty=dirty,
    )
