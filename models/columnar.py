"""Parquet files, as warehouses and data lakes export tables, read as the CSV files are.

BigQuery's and Snowflake's exports, Segment's and RudderStack's data lakes and most analytics
pipelines write tables as Parquet.  Every column becomes the text a CSV export would hold
(:func:`models.workbooks.cell_text`: a time in ISO form, a whole number without ``.0``), a
nested field ``outer.inner`` as in JSON Lines, a list as JSON text; so the loaders, their column
mappings and checks are the same.  Rows are numbered as a CSV's lines would be (the header is
line 1, the first row line 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.errors import DataFileError
from models.workbooks import cell_text

__all__ = ["is_parquet", "parquet_header", "read_parquet"]

_MAGIC = b"PAR1"


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` is a Parquet file (by its first bytes, not its name)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == _MAGIC
    except OSError:
        return False


def parquet_header(path: str | Path) -> list[str]:
    """The columns' names (nested ones ``outer.inner``), from the file's schema alone; [] if unreadable."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception:  # the reader names the problem when the file is read
        return []
    return list(_flattened(schema.empty_table()).column_names)


def read_parquet(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, rows) of a Parquet file, every value as text (see the module).

    Raises
    ------
    DataFileError
        If the file cannot be read as Parquet.

    Examples
    --------
    >>> import tempfile, os, datetime as dt
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> table = pa.table({"user": ["u1", None], "at": [dt.datetime(2024, 3, 1, 10, tzinfo=dt.timezone.utc)] * 2,
    ...                   "props": [{"price": 9.5, "sku": "p1"}, {"price": 2.0, "sku": None}], "n": [3, 4]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "t.parquet")
    ...     pq.write_table(table, path)
    ...     header, rows = read_parquet(path)
    >>> header
    ['user', 'at', 'props.price', 'props.sku', 'n']
    >>> rows
    [(2, ['u1', '2024-03-01 10:00:00+00:00', '9.5', 'p1', '3']), (3, ['', '2024-03-01 10:00:00+00:00', '2', '', '4'])]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise DataFileError(str(path), 0, "", f"unreadable Parquet file: {error}") from None
    table = _flattened(table)
    header = list(table.column_names)
    columns = [[_text(value) for value in table.column(i).to_pylist()] for i in range(table.num_columns)]
    rows = [(n + 2, [column[n] for column in columns]) for n in range(table.num_rows)]
    return header, rows


def _flattened(table: Any) -> Any:
    """The table with its struct columns replaced by their fields (``outer.inner``), at every depth."""
    import pyarrow as pa

    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    return table


def _text(value: Any) -> str:
    if isinstance(value, bytes):  # a string column some writers store as raw bytes
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return cell_text(value)
