"""Hot reload of the deployment file: a promotion or rollback takes effect without a restart."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from core.errors import ConfigError
from serving.auth import KeyRing
from serving.config import DeploymentConfig, load_config

log = logging.getLogger(__name__)


class ConfigWatcher:
    """Re-reads the file when its modification time changes (checked at most every ``interval`` s).

    An invalid edit is logged and ignored: the last good configuration keeps serving.
    """

    def __init__(self, path: str | Path, interval: float = 0.5) -> None:
        self.path = Path(path)
        self.interval = interval
        self._lock = threading.Lock()
        self._mtime = self.path.stat().st_mtime_ns
        self._config = load_config(self.path)
        self._keys = KeyRing(self._config.keys)
        self._checked = time.monotonic()

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.interval:
            return
        self._checked = now
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return
        if mtime == self._mtime:
            return
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            log.error("ignoring invalid deployment file edit: %s", exc)
            self._mtime = mtime
            return
        self._config, self._keys, self._mtime = config, KeyRing(config.keys), mtime
        log.info("deployment file reloaded: %s", {t: c.traffic.live for t, c in config.tasks.items()})

    def current(self) -> tuple[DeploymentConfig, KeyRing]:
        with self._lock:
            self._refresh()
            return self._config, self._keys
