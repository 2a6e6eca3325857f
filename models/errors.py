"""Exceptions raised by the machine-learning core; this module imports nothing else."""

from __future__ import annotations

__all__ = ["CheckpointError", "DataFileError", "FieldError", "ModelsError", "NotFittedError"]


class ModelsError(Exception):
    """Base class of every error raised by ``models``."""


class FieldError(ModelsError, ValueError):
    """A feature field holds a value that cannot be used.

    Parameters
    ----------
    field
        Name of the field (a column of a data file, or a key of a feature dict).
    expected
        What the field should hold, in words.
    found
        The value that arrived.

    Examples
    --------
    >>> str(FieldError("Month", "a month name such as 'Feb'", "Fbe"))
    "field 'Month': expected a month name such as 'Feb', found 'Fbe'"

    """

    def __init__(self, field: str, expected: str, found: object) -> None:
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"field {field!r}: expected {expected}, found {found!r}")


class DataFileError(ModelsError):
    """A data file cannot be read as the format it claims to be.

    Parameters
    ----------
    path
        The file.
    line
        1-based line number of the offending row (the header is line 1 of a CSV file).
    column
        Name of the offending column.
    message
        What went wrong, in words.
    expected
        What the column should hold, if the problem is a bad value.
    found
        The value that arrived, if the problem is a bad value.

    Examples
    --------
    >>> str(DataFileError("x.csv", 3, "Price", "not a number", expected="a number", found="1,5"))
    "x.csv, line 3, column 'Price': not a number (expected a number, found '1,5')"
    >>> str(DataFileError("x.parquet", 0, "", "unreadable Parquet file"))
    'x.parquet: unreadable Parquet file'

    """

    def __init__(
        self,
        path: str,
        line: int,
        column: str,
        message: str,
        *,
        expected: str | None = None,
        found: object = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.expected = expected
        self.found = found
        # Line 0: the file as a whole (it cannot be read, or is not what its format needs).
        where = f"{path}, line {line}" if line else path
        text = f"{where}, column {column!r}: {message}" if column else f"{where}: {message}"
        if expected is not None:
            text += f" (expected {expected}, found {found!r})"
        super().__init__(text)


class CheckpointError(ModelsError):
    """A model checkpoint cannot be loaded; the caller should report it and start fresh."""


class NotFittedError(ModelsError):
    """A model was asked for a prediction that needs a fit it has not had."""
