"""Errors the runtime raises for problems the user caused outside the recipe text.

The CLI prints a `DataError` as `error[<code>]: <message>` and exits with status 2.
The message always names the file (or built-in source) and says what was wrong.
"""
from __future__ import annotations

# Codes of `DataError`:
D001 = "D001"  # data file not found
D002 = "D002"  # data file unreadable or corrupt (not a zip, bad encoding, a directory, ...)
D003 = "D003"  # bad contents: wrong shape, non-numeric cell, NaN/inf, missing array, too few rows
D004 = "D004"  # label problems: missing label column/array, negative or non-integer classes

CODES = {
    D001: "data file not found",
    D002: "data file unreadable or corrupt",
    D003: "bad data contents",
    D004: "bad labels",
}


class DataError(Exception):
    """A problem with the training data; `str(err)` is the message, `err.code` one of D001-D004."""

    def __init__(self, message: str, code: str = D003, path: str | None = None):
        if code not in CODES:
            raise ValueError(f"unknown DataError code {code!r}")
        self.message = message
        self.code = code
        self.path = path          # the file as the user gave it (None for built-in sources)
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        """The line the CLI prints."""
        return f"error[{self.code}]: {self.message}"
