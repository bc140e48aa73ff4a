"""Load data into the DuckDB warehouse: batch files (CSV/Parquet) and streaming micro-batches (JSON lines).

Every load is one database transaction keyed by a batch id: re-delivering a batch changes nothing
(the id is recorded, and rows are inserted with ``INSERT OR IGNORE`` on the primary key), and a
crash mid-batch loses nothing (the transaction never commits, so the retry loads the whole batch).
Rows that fail the quality checks go to the ``quarantine`` table with the reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import InvalidInput
from tabular.propensity.clean import TableQuality, check_frame, missing_counts
from tabular.propensity.sqlnames import quote_identifier, quoted_list
from tabular.propensity.tables import ALL_TABLES, Table

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

log = logging.getLogger(__name__)

_META_DDL = (
    ("CREATE TABLE IF NOT EXISTS ingest_batches (batch_id VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, "
     "source VARCHAR, received BIGINT, loaded BIGINT, quarantined BIGINT, loaded_at TIMESTAMP DEFAULT now())"),
    ("CREATE TABLE IF NOT EXISTS quarantine (batch_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, "
     "reason VARCHAR NOT NULL, payload VARCHAR, quarantined_at TIMESTAMP DEFAULT now())"),
)


def content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


class Warehouse:
    """A DuckDB file holding the bank's tables, the batch ledger and the quarantine."""

    def __init__(self, path: str | Path, tables: dict[str, Table] | None = None) -> None:
        self.path = Path(path)
        self.tables = dict(tables or ALL_TABLES)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), read_only=read_only and self.path.exists())
        try:
            yield con
        finally:
            con.close()

    def ensure_schema(self) -> None:
        with self.connect() as con:
            for ddl in _META_DDL:
                con.execute(ddl)
            for table in self.tables.values():
                con.execute(table.ddl())

    def count(self, table: str) -> int:
        with self.connect(read_only=True) as con:
            return int(con.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchall()[0][0])

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or []).df()

    def batch_ids(self) -> set[str]:
        self.ensure_schema()
        with self.connect(read_only=True) as con:
            return {r[0] for r in con.execute("SELECT batch_id FROM ingest_batches").fetchall()}

    # -- loading --------------------------------------------------------------------------------
    def load_frame(
        self,
        table_name: str,
        frame: pd.DataFrame,
        batch_id: str,
        source: str = "",
        chunk_rows: int = 500_000,
        on_chunk: Callable[[int], None] | None = None,
    ) -> TableQuality:
        """Check and load one batch in one transaction; a batch id seen before is skipped.

        ``on_chunk(rows_inserted_so_far)`` is called between insert chunks, inside the transaction
        (progress reporting; tests use it to kill the process mid-batch).
        """
        table = self._table(table_name)
        report = TableQuality(table=table.name, batch_id=batch_id, received=len(frame))
        checked = check_frame(frame, table)
        report.quarantined = {str(k): int(v) for k, v in checked.bad["_reason"].value_counts().items()}
        report.missing = missing_counts(checked.good)
        self.ensure_schema()
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                seen = con.execute("SELECT 1 FROM ingest_batches WHERE batch_id = ?", [batch_id]).fetchall()
                if seen:
                    con.execute("ROLLBACK")
                    report.skipped_batch = True
                    report.quarantined = {}
                    log.info("batch %s already ingested; skipped", batch_id)
                    return report
                name = quote_identifier(table.name)
                before = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
                good = checked.good
                cols = quoted_list(table.column_names)
                for start in range(0, len(good), chunk_rows):
                    part = good.iloc[start : start + chunk_rows]
                    con.register("incoming", part)
                    con.execute(f"INSERT OR IGNORE INTO {name} ({cols}) SELECT {cols} FROM incoming")
                    con.unregister("incoming")
                    if on_chunk is not None:
                        on_chunk(start + len(part))
                if len(checked.bad):
                    bad = checked.bad
                    payload = bad.drop(columns="_reason").to_json(
                        orient="records", lines=True, date_format="iso"
                    )
                    q = _pandas().DataFrame(
                        {
                            "batch_id": batch_id,
                            "table_name": table.name,
                            "reason": bad["_reason"].astype(str).to_numpy(),
                            "payload": payload.strip().split("\n"),
                        }
                    )
                    con.register("bad_rows", q)
                    con.execute(
                        "INSERT INTO quarantine (batch_id, table_name, reason, payload) "
                        "SELECT batch_id, table_name, reason, payload FROM bad_rows"
                    )
                    con.unregister("bad_rows")
                after = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
                report.loaded = int(after - before)
                report.already_present = int(len(good) - report.loaded)
                con.execute(
                    "INSERT INTO ingest_batches (batch_id, table_name, source, received, loaded, quarantined)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [batch_id, table.name, source, report.received, report.loaded, len(checked.bad)],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        log.info(
            "%s: batch %s loaded %d rows, quarantined %d",
            table.name,
            batch_id,
            report.loaded,
            len(checked.bad),
        )
        return report

    def load_file(self, table_name: str, path: str | Path) -> TableQuality:
        """Batch load of a CSV or Parquet file; its batch id is the table, file name and content hash."""
        path = Path(path)
        if not path.exists():
            raise InvalidInput(f"file {str(path)!r} does not exist")
        batch_id = f"{table_name}:{path.name}:{content_id(path.read_bytes())}"
        if self.path.exists() and batch_id in self.batch_ids():
            log.info("batch %s already ingested; skipped", batch_id)
            return TableQuality(table=table_name, batch_id=batch_id, skipped_batch=True)
        return self.load_frame(table_name, read_table_file(path), batch_id, source=str(path))

    def stream_jsonl(
        self, table_name: str, lines: Iterable[str], batch_id: str | None = None, **kwargs: Any
    ) -> TableQuality:
        """One micro-batch of JSON-lines events; unparseable lines are quarantined too."""
        import pandas as pd

        text_lines = [ln for ln in (line.strip() for line in lines) if ln]
        batch_id = batch_id or f"{table_name}:stream:{content_id(chr(10).join(text_lines).encode())}"
        if self.path.exists() and batch_id in self.batch_ids():  # re-delivery: skip before parsing
            log.info("batch %s already ingested; skipped", batch_id)
            return TableQuality(table=table_name, batch_id=batch_id, received=len(text_lines), skipped_batch=True)
        records, broken = [], []
        for ln in text_lines:
            try:
                value = json.loads(ln)
                if not isinstance(value, dict):
                    raise TypeError("not an object")
                records.append(value)
            except (ValueError, TypeError):  # not JSON, or JSON but not an object
                broken.append(ln)
        table = self._table(table_name)
        frame = (
            pd.DataFrame.from_records(records, columns=table.column_names)
            if records
            else pd.DataFrame(columns=table.column_names)
        )
        report = self.load_frame(table_name, frame, batch_id, source="stream", **kwargs)
        if broken and not report.skipped_batch:
            self._quarantine_raw(batch_id, table_name, broken, "unparseable JSON")
            report.received += len(broken)
            report.quarantined["unparseable JSON"] = len(broken)
        return report

    def stream_folder(
        self, table_name: str, folder: str | Path, pattern: str = "*.jsonl"
    ) -> list[TableQuality]:
        """Every JSON-lines file in ``folder`` is one micro-batch, taken in name order."""
        reports = []
        for path in sorted(Path(folder).glob(pattern)):
            data = path.read_bytes()
            reports.append(
                self.stream_jsonl(
                    table_name,
                    data.decode("utf-8", errors="replace").splitlines(),
                    batch_id=f"{table_name}:{path.name}:{content_id(data)}",
                )
            )
        return reports

    def stream_lines(
        self, table_name: str, lines: Iterable[str], batch_size: int = 10_000
    ) -> list[TableQuality]:
        """Cut a line stream (e.g. stdin) into micro-batches; each batch id is its content hash."""
        reports, buffer = [], []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= batch_size:
                reports.append(self.stream_jsonl(table_name, buffer))
                buffer = []
        if buffer:
            reports.append(self.stream_jsonl(table_name, buffer))
        return reports

    def _quarantine_raw(self, batch_id: str, table_name: str, lines: list[str], reason: str) -> None:
        with self.connect() as con:
            con.executemany(
                "INSERT INTO quarantine (batch_id, table_name, reason, payload) VALUES (?, ?, ?, ?)",
                [[batch_id, table_name, reason, ln[:2000]] for ln in lines],
            )

    def _table(self, name: str) -> Table:
        if name not in self.tables:
            raise InvalidInput(f"unknown table {name!r}; known: {sorted(self.tables)}", table=name)
        return self.tables[name]


def read_table_file(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame; other formats are rejected clearly."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path)
    raise InvalidInput(f"file {path.name!r}: only .csv and .parquet are read", path=str(path))


def write_jsonl_batches(
    frame: pd.DataFrame, folder: str | Path, n_batches: int, prefix: str = "batch"
) -> list[Path]:
    """Write a frame as ``n_batches`` JSON-lines micro-batch files (how a stream of events arrives)."""
    import numpy as np

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, part in enumerate(np.array_split(np.arange(len(frame)), max(1, n_batches))):
        path = folder / f"{prefix}-{i:04d}.jsonl"
        buf = io.StringIO()
        frame.iloc[part].to_json(buf, orient="records", lines=True, date_format="iso")
        path.write_text(buf.getvalue())
        paths.append(path)
    return paths


def _pandas() -> Any:
    import pandas as pd

    return pd
