"""What reading a big CSV file costs: the text is held once, its lines made one at a time."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from models.textfiles import read_csv, text_lines


def test_text_lines_are_made_one_at_a_time_as_a_newline_free_file_splits_them() -> None:
    """The csv reader's lines come lazily, split on \\r\\n, \\r and \\n only, ends kept, as io's newline="" does."""
    text = 'id,note\r\n7,"two\nlines"\r8,\x0cform\x85feed\u2028\n9,last'
    lines = text_lines(text)
    assert isinstance(lines, Iterator)
    assert next(lines) == "id,note\r\n"
    assert ["id,note\r\n", *lines] == list(io.StringIO(text, newline=""))


def test_reading_a_csv_holds_its_text_about_once(tmp_path: Path) -> None:
    """Peak memory of read_csv stays under three times the file (a copy of the text at 4 bytes a character: 6x)."""
    path = tmp_path / "notes.csv"
    note = "x" * 2000
    path.write_text("id,note\n" + "".join(f"{n},{note}\n" for n in range(2000)))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        table = read_csv(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table.rows) == 2000
    assert peak < 3 * size


def test_a_value_repeated_down_a_column_is_held_once(tmp_path: Path) -> None:
    """An invoice's number, date and customer on each of its lines are one string each, not one per line."""
    path = tmp_path / "lines.csv"
    path.write_text("Invoice,StockCode,InvoiceDate,Customer ID\n"
                    "489434,85048,2009-12-01 07:45:00,13085\n489434,79323P,2009-12-01 07:45:00,13085\n")
    first, second = (values for _, values in read_csv(path).rows)
    assert first[0] is second[0] and first[2] is second[2] and first[3] is second[3]
    assert first[1] == "85048" and second[1] == "79323P"
