"""read -> detect -> standardise and check -> store, one file (one transaction) at a time.

Memory is bounded by the largest single file, not by how many files an ingest run takes. A
stop-and-search file's searches are placed in boroughs, wards and LSOAs in the transaction that
loads them, and a boundaries file places every search again in its own: a killed run leaves no
search loaded but unplaced. Searches left unplaced by an older metforward are placed at the end
of the next run (:func:`after_ingest`).

A run asked to (``built_in_reference``: ``metforward ingest``, ``fetch`` and ``refresh``) ends by loading the
reference data built into metforward that the store has none of (:mod:`metforward.ingest.builtin`),
so a fresh store with one police.uk file can be asked every question about London.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import signal
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pyarrow as pa

from metforward.errors import InputFileError, MetforwardError, UnknownFormatError
from metforward.ingest import builtin
from metforward.ingest.csvtable import decode_header
from metforward.ingest.placement import Boundaries, place_searches
from metforward.ingest.readers import CSV_READERS, SNIFF_READERS, Reader, ReadOptions
from metforward.ingest.sources import InputData, InputFile, Limits, expand, read_input
from metforward.store import catalog, placements
from metforward.store.database import Database
from metforward.store.loading import Load, store_load
from metforward.store.queries import placement as placement_queries

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileResult:
    """The outcome of one input file (the keys of ``ingest --json``)."""

    path: str
    kind: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    error: str | None = None
    load_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "path": self.path,
            "kind": self.kind,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "error": self.error,
        }


@dataclass
class IngestSummary:
    """Every file of an ingest run, the files passed over, and the built-in reference data it loaded."""

    files: list[FileResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Built-in reference files loaded at the end of the run because the store had none of their kind.
    built_in: list[FileResult] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Rows read over all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        """Rows loaded over all files."""
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected over all files."""
        return sum(f.rows_rejected for f in self.files)

    @property
    def ok(self) -> bool:
        """True when every file loaded (some of its rows may have been rejected), built-in ones included."""
        return all(f.error is None for f in [*self.files, *self.built_in])

    def as_dict(self) -> dict[str, object]:
        """The JSON form printed by ``ingest --json``; with ``error`` (code and message, as every command's
        JSON error object) when a file was not loaded. ``built_in`` lists the built-in reference files
        loaded at the end of the run (their rows are not in the totals, which count the files given)."""
        out: dict[str, object] = {
            "files": [f.as_dict() for f in self.files],
            "built_in": [f.as_dict() for f in self.built_in],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "warnings": self.warnings,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
        }
        failed = [f for f in [*self.files, *self.built_in] if f.error is not None]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more: see files[].error)" if len(failed) > 1 else ""
            out["error"] = {
                "code": "files_not_loaded",
                "message": f"{len(failed)} of {len(self.files) + len(self.built_in)} files not loaded: "
                f"{first.path}: {first.error}{more}",
            }
        return out


@dataclass(frozen=True)
class Format:
    """One format a reader accepts, as ``metforward formats`` lists it."""

    kind: str
    description: str
    input: str  # "CSV header" or "first bytes": what the reader is chosen by
    recognised_by: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form."""
        return {
            "kind": self.kind,
            "description": self.description,
            "input": self.input,
            "recognised_by": self.recognised_by,
        }


def formats() -> list[Format]:
    """Every format :func:`detect` recognises, in the order it tries them (CSV readers, then the others).

    How each is recognised is the docstring of its reader's ``matches`` (or ``sniff``), so the
    list cannot drift from the code that decides.
    """
    found = [Format(r.kind, r.description, "CSV header", inspect.getdoc(r.matches) or "") for r in CSV_READERS]
    found += [Format(r.kind, r.description, "first bytes", inspect.getdoc(r.sniff) or "") for r in SNIFF_READERS]
    return found


#: What every unknown-format error ends with.
SEE_FORMATS = "run 'metforward formats' to list the formats metforward reads and how each is recognised"


def detect(inp: InputData) -> tuple[Reader, list[str]]:
    """Choose the reader for an input from its first bytes and header; raise a one-line error if none fits."""
    for sniffer in SNIFF_READERS:
        if sniffer.sniff(inp.data):
            return sniffer, []
    head = inp.data[:4096]
    if b"\x00" in head:
        raise UnknownFormatError(inp.source.display, f"not a CSV file (it holds binary data); {SEE_FORMATS}")
    header = decode_header(inp.data)
    for reader in CSV_READERS:
        if reader.matches(header):
            return reader, header
    shown = ",".join(h[:40] for h in header[:8]) + (",..." if len(header) > 8 else "")
    raise UnknownFormatError(inp.source.display, f"unknown header '{shown}'; {SEE_FORMATS}")


#: The polygons placement uses, kept per open store for a run (read again when they change).
_BOUNDARIES: weakref.WeakKeyDictionary[Database, Boundaries] = weakref.WeakKeyDictionary()


def _boundaries(db: Database) -> Boundaries:
    return _BOUNDARIES.setdefault(db, Boundaries())


def store_and_place(db: Database, load: Load) -> int:
    """Store ``load`` and place the searches it brings (or, for boundaries, every search): one transaction."""
    boundaries = _boundaries(db)
    try:
        with db.transaction():
            load_id = store_load(db, load, in_transaction=False)
            if load.kind == "stop-and-search":
                place_searches(db, load_ids=[load_id], boundaries=boundaries)
            elif load.kind == "boundaries":
                place_searches(db, boundaries=boundaries)  # new boundaries: place every search afresh
    except BaseException:
        boundaries.forget()  # it may hold polygons of the load rolled back
        raise
    return load_id


class Interrupts:
    """Notes Ctrl-C (SIGINT) during an ingest run, so a run never goes on to the next file after one.

    Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread is; inside library code
    (a file being closed, GDAL, DuckDB) that exception can come out as another error, which a
    per-file handler would report as a bad file before going on to the next file. With this in place
    the signal is remembered as well, and :meth:`check` stops the run after the file it hit (whose
    transaction was rolled back).
    """

    def __init__(self) -> None:
        self.hit = False
        self._previous: Any = None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.hit = True
        if callable(self._previous):
            self._previous(signum, frame)
        else:
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C came during the run (whatever became of its exception)."""
        if self.hit:
            raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def ingest_file(db: Database, source: InputFile, options: ReadOptions, *, name: str | None = None) -> FileResult:
    """Load one input in one transaction; a file that cannot be loaded leaves the store as it was.

    ``name``: how ``loads`` and the result name the input instead of its path (``built-in:<file>``).
    """
    kind: str | None = None
    display = name or source.display
    try:
        inp = read_input(source, options.limits)
        reader, header = detect(inp)
        kind = reader.kind
        load = reader.read(inp, header, options)
        kind = load.kind
        if name is not None:
            load = dataclasses.replace(load, source_path=name, member=None)
        options.limits.check_rows(display, load.rows_read)
        load_id = store_and_place(db, load)
    except InputFileError as exc:
        logger.warning("%s", exc)
        return FileResult(display, kind, 0, 0, 0, error=exc.message)
    except (pa.ArrowException, ValueError, UnicodeDecodeError) as exc:
        logger.warning("%s: %s", display, exc)
        return FileResult(display, kind, 0, 0, 0, error=f"cannot read the file: {exc}")
    finally:
        pa.default_memory_pool().release_unused()  # hand the file's buffers back before the next one
    logger.info(
        "loaded %s as load %d (%s): %d rows read, %d loaded, %d rejected",
        display,
        load_id,
        load.kind,
        load.rows_read,
        load.rows_loaded,
        load.rejects.num_rows,
    )
    return FileResult(display, load.kind, load.rows_read, load.rows_loaded, load.rejects.num_rows, load_id=load_id)


class NothingToLoadError(MetforwardError):
    """The paths given hold no file to load: nothing was loaded and the store was not touched."""

    code = "nothing_to_load"


def nothing_to_load(paths: Sequence[Path], skipped: Sequence[tuple[str, str]]) -> NothingToLoadError:
    """The error for paths that hold no file to load, with the reasons files in them were skipped."""
    where = ", ".join(str(p) for p in paths)
    if skipped:
        shown = "; ".join(f"{path}: {reason}" for path, reason in skipped[:3])
        why = f"every entry found was skipped ({shown}" + (
            f"; and {len(skipped) - 3} more)" if len(skipped) > 3 else ")"
        )
    else:
        why = "no files found there"
    return NothingToLoadError(
        f"nothing was loaded from {where}: {why}; give the files or folders to load ({SEE_FORMATS})"
    )


def collect(paths: Iterable[Path]) -> tuple[list[InputFile], list[tuple[str, str]], list[FileResult]]:
    """Expand paths into inputs; also return skipped files and paths that do not exist."""
    inputs: list[InputFile] = []
    skipped: list[tuple[str, str]] = []
    missing: list[FileResult] = []
    for path in paths:
        try:
            for item in expand(path):
                if isinstance(item, InputFile):
                    inputs.append(item)
                else:
                    skipped.append((str(item[0]), item[1]))
        except InputFileError as exc:
            missing.append(FileResult(exc.path, None, 0, 0, 0, error=exc.message))
    return inputs, skipped, missing


def load_built_in(db: Database) -> list[FileResult]:
    """Load each built-in reference file whose table or boundary level the store holds no rows of.

    Each goes through the normal path (:func:`ingest_file`, one transaction, recorded in ``loads`` as
    ``built-in:<file>``), with the default limits (the files are small). Nothing the store holds is
    replaced. Returns one result per file loaded (none when the store lacks nothing).
    """
    results = []
    for item in builtin.missing(catalog.reference_held(db)):
        with builtin.path(item) as path:
            results.append(ingest_file(db, InputFile(path), ReadOptions(limits=Limits()), name=item.source_path))
    return results


def after_ingest(db: Database, summary: IngestSummary, *, built_in_reference: bool = False) -> None:
    """Work after a run: warn of units loaded twice; with ``built_in_reference``, when the run loaded a file,
    load the built-in reference data the store lacks; place searches an earlier run left unplaced."""
    ids = [f.load_id for f in summary.files if f.load_id is not None]
    if ids:
        twice = placement_queries.replaced_in_run(db, ids)
        for kind, force, old_path, old_member, new_path, new_member in twice:
            old = f"{old_path}!{old_member}" if old_member else old_path
            new = f"{new_path}!{new_member}" if new_member else new_path
            summary.warnings.append(
                f"{kind} data of {force} for the same month came twice in this run: {new} replaced {old} "
                "(the file loaded last wins; load the newer download last)"
            )
    if built_in_reference and ids:
        summary.built_in = load_built_in(db)
    finished = finish_placement(db)
    if finished:
        summary.warnings.append(
            f"placed the searches of {finished} stop-and-search loads that were not yet placed against the "
            "current boundaries (an earlier run was stopped, or the store was made by an older metforward)"
        )


def finish_placement(db: Database) -> int:
    """Place the searches not yet placed against the current boundaries (in a store an earlier run
    or an older metforward left half-placed), in one transaction; return how many loads that was."""
    pending = placements.pending_loads(db)
    if not pending:
        return 0
    boundaries = _boundaries(db)
    try:
        with db.transaction():
            place_searches(db, load_ids=pending, boundaries=boundaries)
    except BaseException:
        boundaries.forget()
        raise
    return len(pending)


def ingest_paths(
    db: Database,
    paths: Sequence[Path],
    options: ReadOptions | None = None,
    *,
    accept: Callable[[InputFile], bool] | None = None,
    progress: Callable[[InputFile, FileResult], None] | None = None,
    built_in_reference: bool = False,
) -> IngestSummary:
    """Ingest every input under ``paths`` (files, folders, zips), each in its own transaction.

    ``accept`` filters inputs (e.g. the months a fetch asked for); ``progress`` is called after
    each file. With ``built_in_reference`` (what the commands do), a run that loaded a file ends by
    loading the built-in reference data the store lacks (:func:`load_built_in`); without it (library
    and test use) the store holds exactly the files given.
    """
    options = options or ReadOptions()
    inputs, skipped, missing = collect(paths)
    summary = IngestSummary(files=list(missing), skipped=skipped)
    with Interrupts() as interrupts:
        for source in inputs:
            if accept is not None and not accept(source):
                continue
            result = ingest_file(db, source, options)
            interrupts.check()
            summary.files.append(result)
            if progress is not None:
                progress(source, result)
        after_ingest(db, summary, built_in_reference=built_in_reference)
    return summary
