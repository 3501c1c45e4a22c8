"""How commands open the store and how failures reach the user.

* :func:`reader` / :func:`writer`: the store for a command that only reads (read-only; a missing
  store is an error and nothing is created) or that loads (the write lock, cubes built at the end),
  both waiting ``metforward --wait SECONDS`` for another process that holds the store.
* :class:`SafeGroup`: the one place expected failures are turned into one line on standard error
  (or ``{"error": {"code", "message"}}`` on standard output when the command was given ``--json``)
  and an exit code: 1 for a failure, 2 for a usage error, 130 when interrupted (Ctrl-C).
  ``metforward --debug`` shows the Python traceback as well.

Commands do not catch their own failures: they raise, and :class:`SafeGroup` reports. An expected
failure is a :class:`~metforward.errors.MetforwardError` (its ``code`` names it in JSON, its
``exit_status`` is the exit code) or an ``OSError``; anything else is a bug, reported in one line
as ``internal`` with a pointer to ``--debug``. Usage errors (exit 2) are of two kinds:

* typer's own (an unknown option, a missing argument, a value of the wrong type, a
  ``typer.BadParameter`` raised by a command): typer prints them with the usage text, as usual;
  with ``--json`` they print the JSON object with code ``usage`` instead;
* a command's own checks of its options, made before it opens the store (a malformed month or
  period, a value outside a fixed list, options that exclude each other): it raises
  :class:`~metforward.errors.OptionError`, printed as one ``Error:`` line like any other failure.

Whatever is found while doing the work (an area or measure not in the store, an unknown scheme
given to a calculation, a file that cannot be read) is a failure: exit 1.
"""

from __future__ import annotations

import errno
import json
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from typer._click.exceptions import ClickException  # typer vendors click: its usage errors are these
from typer.core import TyperGroup

from metforward.errors import MetforwardError
from metforward.store import access
from metforward.store.database import Database

if TYPE_CHECKING:
    from typer._click.core import Context as ClickContext  # typer vendors click; its Group.invoke takes this


def _notice(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def reader(ctx: typer.Context) -> Iterator[Database]:
    """The store, read-only, for a command that only reads."""
    state = ctx.obj
    with access.reading(state.settings.db_path, wait=state.wait, notice=_notice) as db:
        yield db


def open_for_reading(ctx: typer.Context) -> Database:
    """Like :func:`reader`, for a command that closes the connection itself."""
    state = ctx.obj
    return access.open_for_reading(state.settings.db_path, wait=state.wait, notice=_notice)


@contextmanager
def writer(ctx: typer.Context) -> Iterator[Database]:
    """The store with the write lock (created if absent), for a command that loads; cubes built at the end."""
    state = ctx.obj
    with access.writing(state.settings.db_path, wait=state.wait, notice=_notice) as db:
        yield db


_OS_ADVICE = {
    errno.EACCES: "permission denied: run as a user who may use it, or choose another path",
    errno.EPERM: "operation not permitted: run as a user who may use it, or choose another path",
    errno.EROFS: "the file system is read-only: choose a path on a writable disk",
    errno.EISDIR: "is a folder: give a file path",
    errno.ENOTDIR: "a part of the path is not a folder: check the path",
    errno.ENOENT: "no such file or folder: check the path",
    errno.ENOSPC: "the disk is full: free some space or write elsewhere, then run this again",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere, then run this again",
    errno.EFBIG: "the file grew past this system's file size limit (ulimit -f): raise it or write elsewhere",
}


def describe(exc: BaseException) -> tuple[str, str] | None:
    """``(code, one-line message)`` for an expected failure; None for a bug (shown with its traceback)."""
    if isinstance(exc, MetforwardError):
        return exc.code, _one_line(str(exc))
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else "a file"
        advice = _OS_ADVICE.get(exc.errno or 0, (exc.strerror or str(exc)) + ": check the path and run this again")
        name = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EFBIG: "file_too_large"}.get(
            exc.errno or 0, errno.errorcode.get(exc.errno or 0, "os_error").lower()
        )
        return name, f"{where}: {advice}"
    return None


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines) if len(lines) > 1 else (lines[0] if lines else "")


def _fail(code: str, message: str, *, as_json: bool, status: int) -> typer.Exit:
    if as_json:
        typer.echo(json.dumps({"error": {"code": code, "message": message}}))
    else:
        typer.echo(f"Error: {message}", err=True)
    return typer.Exit(status)


class SafeGroup(TyperGroup):
    """The top-level command group: runs a command and reports its expected failures in one line."""

    def invoke(self, ctx: ClickContext) -> Any:
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        as_json = "--json" in args
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except ClickException as exc:  # typer's usage errors: typer prints them with the usage text
            if not as_json:
                raise
            _debug(ctx)
            raise _fail("usage", _one_line(exc.format_message()), as_json=True, status=exc.exit_code) from exc
        except typer.TyperException:
            raise
        except (KeyboardInterrupt, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and str(exc) != "Query interrupted":  # DuckDB's word for Ctrl-C
                return self._failed(ctx, exc, as_json)
            _debug(ctx)
            raise _fail(
                "interrupted",
                "interrupted: work in progress was rolled back (each loaded file is all or nothing); "
                "run the same command again to finish",
                as_json=as_json,
                status=130,
            ) from exc
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # the reader of our output went away: typer exits quietly
            return self._failed(ctx, exc, as_json)

    def _failed(self, ctx: ClickContext, exc: Exception, as_json: bool) -> Any:
        """Report ``exc`` in one line (or as JSON) and exit 1 (or its ``exit_status``); with ``--debug``, its
        traceback first."""
        _debug(ctx)
        described = describe(exc) or (
            "internal",
            f"unexpected {type(exc).__name__}: {_one_line(str(exc))} (a bug: run again with metforward --debug "
            "for the traceback and report it)",
        )
        status = exc.exit_status if isinstance(exc, MetforwardError) else 1
        raise _fail(*described, as_json=as_json, status=status) from exc


def _debug(ctx: ClickContext) -> None:
    """With ``--debug``, the traceback of the exception being handled, on standard error."""
    state = ctx.obj
    if state is not None and state.debug:
        traceback.print_exc(file=sys.stderr)
