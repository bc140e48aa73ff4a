r'''Column and table names as clients send them, made safe for SQL and unique.

Every identifier that goes into SQL is quoted by DuckDB's own expression builder
(``duckdb.ColumnExpression(name)`` renders ``"default"``, ``"emp.var.rate"``, ``"a""b"``), never
by pasting raw names into a statement, so keywords, dots, spaces, quotes and non-ASCII letters
all survive the DDL and the queries:

>>> quote_identifier("default"), quote_identifier('say "hi"')
('"default"', '"say ""hi"""')
>>> unique_names(["id", "id", "", " Größe ", "id_2"])
['id', 'id_3', 'column_3', 'Größe', 'id_2']
'''

from __future__ import annotations

from collections.abc import Iterable


def quote_identifier(name: str) -> str:
    """The name as a quoted DuckDB identifier (DuckDB's own quoting of a column expression)."""
    import duckdb

    if not isinstance(name, str) or not name:
        raise ValueError(f"an identifier must be a non-empty string, got {name!r}")
    return str(duckdb.ColumnExpression(name))


def quoted_list(names: Iterable[str]) -> str:
    """``"a", "b", ...`` for a column list in a statement."""
    return ", ".join(quote_identifier(n) for n in names)


def unique_names(names: Iterable[object]) -> list[str]:
    """Header cells as usable column names: whitespace and a BOM stripped, empty cells named
    ``column_<position>``, repeated names suffixed ``_2``, ``_3``... (never colliding with a real name)."""
    cleaned = []
    for i, raw in enumerate(names, start=1):
        text = "" if raw is None else str(raw).replace("\ufeff", "").strip()
        cleaned.append(text or f"column_{i}")
    taken: set[str] = set()
    out = []
    for name in cleaned:
        candidate, k = name, 2
        while candidate in taken or (candidate != name and candidate in cleaned):
            candidate, k = f"{name}_{k}", k + 1
        taken.add(candidate)
        out.append(candidate)
    return out
