"""Finding input files: a file, a ``.csv.gz``, a folder tree (data.police.uk's ``YYYY-MM/`` layout) or a zip.

Each input becomes an :class:`InputFile` that can hand over its bytes, decompressed. Whether
a file is gzipped is read from its first bytes, not its name.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from metforward.errors import InputFileError

#: Endings of files taken from folder trees and zips (anything else there is skipped and reported).
DATA_SUFFIXES = (".csv", ".csv.gz", ".geojson", ".json", ".gpkg")
GZIP_MAGIC = b"\x1f\x8b"


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

    def raw(self) -> bytes:
        """The bytes as stored (still compressed if the file is gzipped)."""
        try:
            if self.member is None:
                return self.path.read_bytes()
            with zipfile.ZipFile(self.path) as archive:
                return archive.read(self.member)
        except (OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise InputFileError(self.display, f"cannot read the file: {exc}") from exc


@dataclass(frozen=True)
class InputData:
    """An input's bytes, decompressed, with the checksum of the bytes as stored."""

    source: InputFile
    data: bytes
    sha256: str
    stored_bytes: int


def read_input(source: InputFile) -> InputData:
    """Read and, if gzipped, decompress an input; a truncated or corrupt gzip is a clear error."""
    raw = source.raw()
    digest = hashlib.sha256(raw).hexdigest()
    data = raw
    if raw[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(raw)
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
    passed over (so the caller can report it). A missing path raises :class:`InputFileError`.
    """
    if not path.exists():
        raise InputFileError(str(path), "no such file or folder")
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix.lower() == ".zip":
                yield from expand(child)
            elif _is_data(child.name):
                yield InputFile(child)
            else:
                yield child, "not a data file (expected .csv, .csv.gz, .zip, .geojson or .gpkg)"
        return
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
