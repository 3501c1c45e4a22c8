"""The exception tree. Every message says what went wrong, where, and what to do next.

Each class has a ``code``: the short, stable name the command line prints in its JSON error object
(``{"error": {"code": ..., "message": ...}}``) when a command given ``--json`` fails, and an
``exit_status``: 1 for a failure, 2 for a usage error (see :mod:`metforward.cli.safety`).
"""

from __future__ import annotations


class MetforwardError(Exception):
    """Base class of every error metforward raises on purpose."""

    code = "error"
    exit_status = 1


class OptionError(MetforwardError):
    """The command line cannot be used as given: a malformed value of an option (a month, a period, an
    area name), a value outside a fixed list, or options that exclude each other, found by the command
    before it does any work. The command line exits with status 2, as for typer's own usage errors.
    """

    code = "usage"
    exit_status = 2


class InvalidValueError(MetforwardError, ValueError):
    """A value (usually from an option) that a calculation cannot use: an unknown scheme or method, a
    negative cell size, too few permutations. A ``ValueError`` too, for callers that catch those.
    """

    code = "invalid_value"


class Interrupted(MetforwardError):
    """The user stopped a command (Ctrl-C) where it has more to say than that work was rolled back."""

    code = "interrupted"
    exit_status = 130


class InputFileError(MetforwardError):
    """A whole input file could not be read or loaded; nothing from it was stored.

    ``path`` names the file (with the member inside a zip where there is one).
    """

    code = "input_file"

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class UnknownFormatError(InputFileError):
    """The header matches none of the formats metforward reads."""

    code = "unknown_format"


class StoreError(MetforwardError):
    """The embedded store could not be opened, migrated or written."""

    code = "store"


class StoreMissingError(StoreError):
    """A command that reads the store was given a store file that does not exist (nothing was created)."""

    code = "store_missing"


class StoreLockedError(StoreError):
    """Another process holds the store's lock: a writer excludes everyone, readers exclude writers.

    ``pid`` and ``command`` name the holder when DuckDB reports it.
    """

    code = "store_locked"

    def __init__(self, message: str, pid: int | None = None, command: str | None = None) -> None:
        super().__init__(message)
        self.pid = pid
        self.command = command


class StoreOutOfDateError(StoreError):
    """The store needs migrations or rebuilt cubes, and this reader cannot write it to bring it up to date."""

    code = "store_out_of_date"


class FetchError(MetforwardError):
    """A download failed (HTTP error, checksum mismatch, unavailable month)."""

    code = "fetch"
