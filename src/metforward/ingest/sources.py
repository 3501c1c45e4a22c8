"""Finding input files: a file, a ``.csv.gz``, a folder tree (data.police.uk's ``YYYY-MM/`` layout) or a zip.

Each input becomes an :class:`InputFile` that can hand over its bytes, decompressed. Whether
a file is gzipped is read from its first bytes, not its name.

Inputs are read within :class:`Limits`: a zip member or gzip stream is decompressed in chunks and
given up as soon as it passes the size limit (a zip's declared size is checked first, but never
trusted), so a small archive that expands to gigabytes never does so in memory. Only regular files
are opened: named pipes, devices and sockets are refused. In folder trees, symbolic links are
followed while they stay inside the tree; links out of it, loops and broken links are reported.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from metforward.errors import InputFileError, MetforwardError

#: Endings of files taken from folder trees and zips (anything else there is skipped and reported).
DATA_SUFFIXES = (".csv", ".csv.gz", ".geojson", ".json", ".gpkg")
GZIP_MAGIC = b"\x1f\x8b"
MB = 1_000_000
_CHUNK = 1 << 20

#: Default uncompressed size limit per input, in MB. The largest real input in the shared corpus
#: is a 107 MB London Datastore table; a complete monthly Met street file is 15 to 35 MB.
DEFAULT_MAX_FILE_MB = 200
#: Default row limit per input. A monthly Met street file has about 100,000 rows (the largest
#: police.uk file there is); the largest London Datastore table in the corpus has 472,000.
DEFAULT_MAX_ROWS = 1_000_000
MAX_FILE_MB_ENV = "METFORWARD_MAX_FILE_MB"
MAX_ROWS_ENV = "METFORWARD_MAX_ROWS"


@dataclass(frozen=True)
class Limits:
    """How much one input may hold: uncompressed bytes and rows (each file is loaded whole in memory)."""

    max_bytes: int = DEFAULT_MAX_FILE_MB * MB
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def from_env(cls, max_file_mb: int | None = None, max_rows: int | None = None) -> Limits:
        """Explicit values, then ``METFORWARD_MAX_FILE_MB`` / ``METFORWARD_MAX_ROWS``, then the defaults."""
        mb = max_file_mb if max_file_mb is not None else _env_int(MAX_FILE_MB_ENV, DEFAULT_MAX_FILE_MB)
        rows = max_rows if max_rows is not None else _env_int(MAX_ROWS_ENV, DEFAULT_MAX_ROWS)
        return cls(max_bytes=mb * MB, max_rows=rows)

    def too_large(self, display: str, what: str) -> InputFileError:
        """The error for an input over the size limit; ``what`` says how that was found."""
        return InputFileError(
            display,
            f"{what}, more than the limit of {_mb(self.max_bytes)} per input file; if the file is genuine, "
            f"raise the limit with --max-file-mb N (ingest, fetch) or {MAX_FILE_MB_ENV}=N",
        )

    def check_rows(self, display: str, rows: int) -> None:
        """Raise :class:`InputFileError` when ``rows`` is over the row limit."""
        if rows > self.max_rows:
            raise InputFileError(
                display,
                f"has {rows:,} rows, more than the limit of {self.max_rows:,} rows per file; if the file is "
                f"genuine, raise the limit with --max-rows N (ingest, fetch) or {MAX_ROWS_ENV}=N",
            )


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise MetforwardError(f"{name}={text!r} is not a whole number of at least 1; set it to one or unset it")
    return int(text)


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size:,} bytes"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _read_capped(stream: _Readable, cap: int, limits: Limits, display: str) -> bytes:
    """Read ``stream`` to its end in chunks, giving up as soon as it passes ``cap`` bytes."""
    out = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        if out.tell() + len(chunk) > cap:
            raise limits.too_large(display, "it expands to more than that")
        out.write(chunk)
    return out.getvalue()


_TYPES = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def not_regular(mode: int) -> str | None:
    """What a file of this ``st_mode`` is when it is neither a regular file nor a folder, else None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return _TYPES.get(stat.S_IFMT(mode), "not a regular file")


def _refuse(display: str, what: str) -> InputFileError:
    return InputFileError(
        display, f"{what}, not a regular file; metforward reads files, folders and zips (save the data to a file)"
    )


def _open_regular(path: Path, display: str) -> IO[bytes]:
    """Open a regular file for reading; a pipe, device or socket is refused without blocking on it."""
    mode = os.stat(path).st_mode
    if (what := not_regular(mode)) is not None or stat.S_ISDIR(mode):
        raise _refuse(display, what or "a folder")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode  # the file may have been swapped since the stat
        if not stat.S_ISREG(mode):
            raise _refuse(display, not_regular(mode) or "a folder")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True)
class InputFile:
    """One input: a file on disk, or a member of a zip archive on disk."""

    path: Path
    member: str | None = None

    @property
    def display(self) -> str:
        """How error messages and summaries name this input."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        """The file's own name (the member's, inside a zip)."""
        return (self.member or self.path.name).rsplit("/", 1)[-1]

    def raw(self, limits: Limits | None = None) -> bytes:
        """The bytes as stored (still compressed if the file is gzipped), at most ``limits.max_bytes``."""
        limits = limits or Limits.from_env()
        try:
            with _open_regular(self.path, str(self.path)) as handle:
                if self.member is None:
                    size = os.fstat(handle.fileno()).st_size
                    if size > limits.max_bytes:
                        raise limits.too_large(self.display, f"it is {_mb(size)}")
                    return _read_capped(handle, limits.max_bytes, limits, self.display)
                with zipfile.ZipFile(handle) as archive:
                    info = archive.getinfo(self.member)
                    if info.file_size > limits.max_bytes:
                        raise limits.too_large(self.display, f"the zip declares it {_mb(info.file_size)} uncompressed")
                    with archive.open(info) as member:
                        return _read_capped(member, limits.max_bytes, limits, self.display)
        except InputFileError:
            raise
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, NotImplementedError, RuntimeError) as exc:
            raise InputFileError(self.display, f"cannot read the file: {exc}") from exc


@dataclass(frozen=True)
class InputData:
    """An input's bytes, decompressed, with the checksum of the bytes as stored."""

    source: InputFile
    data: bytes
    sha256: str
    stored_bytes: int


def read_input(source: InputFile, limits: Limits | None = None) -> InputData:
    """Read and, if gzipped, decompress an input within ``limits``; a truncated or corrupt gzip is a clear error."""
    limits = limits or Limits.from_env()
    raw = source.raw(limits)
    digest = hashlib.sha256(raw).hexdigest()
    data = raw
    if raw[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
                data = _read_capped(stream, limits.max_bytes, limits, source.display)
        except (EOFError, OSError, zlib.error) as exc:
            raise InputFileError(
                source.display,
                f"the gzip data is truncated or corrupt ({exc}); download the file again",
            ) from exc
    return InputData(source=source, data=data, sha256=digest, stored_bytes=len(raw))


def _is_data(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(DATA_SUFFIXES) and not lower.rsplit("/", 1)[-1].startswith(".")


def expand(path: Path) -> Iterator[InputFile | tuple[Path, str]]:
    """The inputs under ``path`` in name order.

    Yields :class:`InputFile` for each data file, and ``(path, reason)`` for each file that was
    passed over (so the caller can report it). A missing path, or one that is not a regular file
    or folder, raises :class:`InputFileError`.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if path.is_symlink():
            raise InputFileError(str(path), _bad_link(exc)) from exc
        raise InputFileError(str(path), "no such file or folder") from exc
    if stat.S_ISDIR(mode):
        yield from _Walk(path).walk(path)
        return
    if (what := not_regular(mode)) is not None:
        raise _refuse(str(path), what)
    yield from _expand_file(path)


def _expand_file(path: Path) -> Iterator[InputFile | tuple[Path, str]]:
    if zipfile.is_zipfile(path) and not path.name.lower().endswith(".gpkg"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = sorted(info.filename for info in archive.infolist() if not info.is_dir())
        except zipfile.BadZipFile as exc:
            raise InputFileError(str(path), f"not a readable zip archive ({exc})") from exc
        for name in names:
            if _is_data(name):
                yield InputFile(path, name)
            else:
                yield Path(f"{path}!{name}"), "not a data file inside the zip"
        return
    yield InputFile(path)


def _bad_link(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop; not followed"
    return "a broken symbolic link (its target does not exist); not followed"


class _Walk:
    """A walk of one folder tree that follows symbolic links only while they stay inside it.

    A file reached twice (through a link) is read once; a link to a folder that holds it is a loop.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.files: dict[Path, Path] = {}

    def walk(self, folder: Path) -> Iterator[InputFile | tuple[Path, str]]:
        try:
            children = sorted(folder.iterdir())
        except OSError as exc:
            yield folder, f"cannot list the folder: {exc.strerror or exc}"
            return
        for child in children:
            yield from self._child(child)

    def _child(self, child: Path) -> Iterator[InputFile | tuple[Path, str]]:
        try:
            mode = os.stat(child).st_mode
            real = child.resolve(strict=True)
        except OSError as exc:
            yield child, _bad_link(exc)
            return
        except RuntimeError:  # Python 3.11 reports a loop met while resolving so
            yield child, "a symbolic link loop; not followed"
            return
        if child.is_symlink() and not real.is_relative_to(self.real_root):
            yield child, f"a symbolic link to {real}, outside {self.root}; not followed (give {real} itself to load it)"
            return
        if stat.S_ISDIR(mode):
            if child.parent.resolve().is_relative_to(real):
                yield child, f"a symbolic link loop (to {real}, a folder that holds it); not followed"
            else:
                yield from self.walk(child)
            return
        if (what := not_regular(mode)) is not None:
            yield child, f"{what}, not a regular file; not opened"
            return
        if real in self.files:
            yield child, f"the same file as {self.files[real]} (through a symbolic link); read once"
            return
        self.files[real] = child
        if child.suffix.lower() == ".zip":
            yield from _expand_file(child)
        elif _is_data(child.name):
            yield InputFile(child)
        else:
            yield child, "not a data file (expected .csv, .csv.gz, .zip, .geojson or .gpkg)"
