"""A throwaway PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` in a temporary folder, on 127.0.0.1.

The server binaries come from the Debian ``postgresql`` package (``scripts/install.sh`` installs them);
``AIS_PG_BIN`` names another folder holding ``initdb`` and ``pg_ctl``. ``initdb`` refuses to run as
root: as root the server runs as the ``postgres`` system user (created by the Debian package).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bin() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: AIS_PG_BIN, the newest Debian install, or PATH."""
    if os.environ.get("AIS_PG_BIN"):
        return Path(os.environ["AIS_PG_BIN"])
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    """One running server; ``url`` reaches its ``ais`` database as the ``ais`` user (trust auth, local only)."""

    bin: Path
    folder: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://ais@127.0.0.1:{self.port}/ais"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self.run_as, *args], capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        data = self.folder / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "ais", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F -c max_connections=60"
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "ais", "ais")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


def start_server() -> PgServer:
    """Start a server in a new temporary folder (the caller stops it and removes the folder)."""
    bin_dir = find_bin()
    if bin_dir is None or not (bin_dir / "initdb").is_file():
        raise FileNotFoundError("PostgreSQL server binaries not found (apt-get install postgresql, "
                                "or set AIS_PG_BIN to the folder holding initdb and pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="ais-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as exc:
            shutil.rmtree(folder)
            raise FileNotFoundError("running as root and there is no 'postgres' system user to run "
                                    "the test server (the Debian postgresql package creates it)") from exc
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PgServer(bin=bin_dir, folder=folder, port=_free_port(), run_as=run_as)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server
