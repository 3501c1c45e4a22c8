"""The exception tree. Every message says what went wrong, where, and what to do next.

Each class has a ``code``: the short, stable name the command line prints in its JSON error object
(``{"error": {"code": ..., "message": ...}}``) when a command given ``--json`` fails, and the API
puts in its error body; and a ``kind``, which decides, through the one table :data:`KINDS`, the
HTTP status the API answers with and the exit status of the command line. Nothing reads an
error's message to decide what it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """What a kind of failure means to each face: the HTTP status and the command line's exit status."""

    http_status: int
    exit_status: int


#: The one table from a kind of failure to an HTTP status and an exit status (1 a failure, 2 a usage
#: error, as for typer's own, 130 interrupted).
KINDS: dict[str, Kind] = {
    "cannot_answer": Kind(400, 1),  # the question cannot be answered as asked (the default)
    "bad_request": Kind(422, 2),  # a malformed or out-of-range value, or options that exclude each other
    "ambiguous": Kind(422, 2),  # a name that means more than one thing: give a code
    "not_found": Kind(404, 1),  # no such area, measure or resource in the data loaded
    "no_data": Kind(409, 1),  # the store lacks the data the question needs: load it first
    "unavailable": Kind(503, 1),  # the store cannot be opened or read now (locked, missing, out of date)
    "upstream": Kind(502, 1),  # a publisher's server failed us
    "interrupted": Kind(503, 130),  # the user stopped the command
    # the write side (records): 77 is sysexits' EX_NOPERM, so a script can tell a refusal from a failure
    "unauthenticated": Kind(401, 77),  # not signed in, or the account named does not exist or is disabled
    "forbidden": Kind(403, 77),  # signed in, but the access rule refuses this action on this borough
    "too_many": Kind(429, 1),  # too many failed sign-ins from one address: wait and try again
}


class MetforwardError(Exception):
    """Base class of every error metforward raises on purpose.

    ``field`` names the option or parameter at fault where there is one (``area``, ``before``).
    """

    code = "cannot_answer"
    kind = "cannot_answer"
    exit_status = KINDS["cannot_answer"].exit_status
    http_status = KINDS["cannot_answer"].http_status

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        self.field = field

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        kind = KINDS[cls.kind]  # a KeyError here is a bug: a kind missing from the table
        cls.exit_status, cls.http_status = kind.exit_status, kind.http_status


class BadRequest(MetforwardError):
    """A value the question cannot use: malformed, outside a fixed list or range, or options that exclude
    each other. Exit status 2 (as for typer's usage errors), HTTP 422."""

    code = "invalid_parameter"
    kind = "bad_request"


class Ambiguous(MetforwardError):
    """A name that means more than one thing (two wards called Abbey): the message lists the codes to give."""

    code = "ambiguous"
    kind = "ambiguous"


class NotFound(MetforwardError):
    """No such area, measure or resource in the data loaded."""

    code = "not_found"
    kind = "not_found"


class NoData(MetforwardError):
    """The store lacks the data the question needs (no lookups, no Datastore file, no survey): the message
    says what to load."""

    code = "no_data"
    kind = "no_data"


class OptionError(BadRequest):
    """The command line cannot be used as given: a malformed value of an option (a month, a period, an
    area name), a value outside a fixed list, or options that exclude each other, found by the command
    before it does any work. The command line exits with status 2, as for typer's own usage errors.
    """

    code = "usage"


class InvalidValueError(MetforwardError, ValueError):
    """A value (usually from an option) that a calculation cannot use: an unknown scheme or method, a
    negative cell size, too few permutations. A ``ValueError`` too, for callers that catch those. Its
    kind is ``cannot_answer`` (exit 1, HTTP 400), as before there were kinds: the value is well formed,
    the calculation refuses it.
    """

    code = "invalid_value"


class Interrupted(MetforwardError):
    """The user stopped a command (Ctrl-C) where it has more to say than that work was rolled back."""

    code = "interrupted"
    kind = "interrupted"


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
    kind = "unavailable"


class StoreMissingError(StoreError):
    """A command that reads the store was given a store file that does not exist (nothing was created)."""

    code = "store_missing"


class StoreLockedError(StoreError):
    """Another process holds the store's lock: a writer excludes everyone, readers exclude writers.

    ``pid`` and ``command`` name the holder when DuckDB reports it.
    """

    code = "store_locked"

    def __init__(
        self, message: str, pid: int | None = None, command: str | None = None, *, reading: bool = False
    ) -> None:
        super().__init__(message)
        self.pid = pid
        self.command = command
        #: The holder only reads (a server, a report): a writer can load beside it (see store.access.writing).
        self.reading = reading


class StoreOutOfDateError(StoreError):
    """The store needs migrations or rebuilt cubes, and this reader cannot write it to bring it up to date."""

    code = "store_out_of_date"


class FetchError(MetforwardError):
    """A download failed (HTTP error, checksum mismatch, unavailable month)."""

    code = "fetch"
    kind = "upstream"


class RecordsOutOfDateError(StoreError):
    """The records database (the write side's, apart from the DuckDB store) is behind the code's migrations
    or was never set up: the message names the command that brings it up to date."""

    code = "records_out_of_date"


class Unauthenticated(MetforwardError):
    """Nobody is signed in (web), the account named with ``--as`` does not exist or is disabled (CLI), or a
    sign-in failed: its message never says which of email, password or code was wrong."""

    code = "unauthenticated"
    kind = "unauthenticated"


class Forbidden(MetforwardError):
    """The one access rule (:func:`metforward.records.access.may`) refuses this action on this borough."""

    code = "forbidden"
    kind = "forbidden"


class TooManyAttempts(MetforwardError):
    """Too many failed sign-ins from one address in the window: sign-in from it is paused for a while."""

    code = "too_many_attempts"
    kind = "too_many"
