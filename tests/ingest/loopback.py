"""A real HTTP server on 127.0.0.1 for the download tests: data.police.uk's API and archive, and any files.

It serves, from bytes the tests give it (real corpus files):

* data.police.uk's ``/api/forces`` and ``/api/crimes-street-dates`` and one monthly archive
  ``/data/archive/<month>.zip`` (when given an :class:`Archive`);
* any file under any path (with its query string), and JSON documents (a Datastore API answer);

with ETag and Last-Modified, conditional GET and HEAD (304 Not Modified), range requests
(206, ``If-Range``), and switches to misbehave: drop the connection mid-body, ignore ranges,
corrupt the archive, or answer a path with given error statuses (503) before serving it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import socket
import struct
import threading
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from metforward.domain.periods import add_months, month_text

ARCHIVE_MONTH = "2024-05"
#: The months the fake API lists: the 36 months up to 2024-05, newest first (as data.police.uk does).
LISTED = [month_text(add_months(dt.date(2024, 5, 1), -i)) for i in range(36)]
#: Months for which the API lists no Metropolitan stop-and-search data.
NO_MET_SEARCHES = {"2024-04"}
FORCES = [
    {"id": "city-of-london", "name": "City of London Police"},
    {"id": "metropolitan", "name": "Metropolitan Police Service"},
    {"id": "btp", "name": "British Transport Police"},
]


def text_of(path: Path) -> bytes:
    """A corpus file's bytes, decompressed when gzipped."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


@dataclass
class Archive:
    """An archive's bytes and the data rows of each (force, kind, month) in it."""

    data: bytes
    rows: dict[tuple[str, str, str], int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def build_archive(members: dict[str, bytes], rows: dict[tuple[str, str, str], int]) -> Archive:
    """A zip of ``members`` (name -> bytes), deflated, in name order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name in sorted(members):
            out.writestr(name, members[name])
    return Archive(buffer.getvalue(), rows)


def corrupted(data: bytes, member: str) -> bytes:
    """The archive with bytes in the middle of ``member``'s compressed data flipped."""
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        info = opened.getinfo(member)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    return data[:at] + bytes(b ^ 0xA5 for b in data[at : at + 64]) + data[at + 64 :]


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    sent: int = 0


def _etag(data: bytes) -> str:
    return f'"{hashlib.sha256(data).hexdigest()[:20]}"'


MODIFIED = formatdate(dt.datetime(2024, 6, 20, tzinfo=dt.UTC).timestamp(), usegmt=True)


@dataclass
class Server:
    """data.police.uk's API and archive, and any other files, on 127.0.0.1, with switches to misbehave."""

    archive: Archive | None = None
    corrupt_member: str = ""
    listed: list[str] = field(default_factory=lambda: list(LISTED))
    cut_after: int | None = None  # drop the connection after this many body bytes, on the next file GET only
    cut_path: str | None = None  # ... of this path only (None: whichever comes next)
    ignore_range: bool = False  # answer 200 with the whole file to a range request
    corrupt: bool = False  # serve the archive with corrupt bytes (same length, same ETag)
    fail: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer first, one per GET
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        self.last_modified: dict[str, str] = {}
        self.documents: dict[str, object] = {}
        if self.archive is not None:
            self.publish(f"/data/archive/{ARCHIVE_MONTH}.zip", self.archive.data)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _seen(self) -> Seen:
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                owner.requests.append(seen)
                return seen

            def _json(self, seen: Seen, body: object) -> None:
                data = json.dumps(body).encode()
                seen.status = 200
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                seen = self._seen()
                path = urllib.parse.unquote(self.path)
                failures = owner.fail.get(path)
                if failures:
                    seen.status = failures.pop(0)
                    self.send_error(seen.status)
                    return
                if owner.archive is not None and path == "/api/forces":
                    self._json(seen, FORCES)
                elif owner.archive is not None and path == "/api/crimes-street-dates":
                    self._json(
                        seen,
                        [
                            {
                                "date": m,
                                "stop-and-search": ["city-of-london", "btp"]
                                + ([] if m in NO_MET_SEARCHES else ["metropolitan"]),
                            }
                            for m in sorted(owner.listed, reverse=True)
                        ],
                    )
                elif path in owner.documents:
                    self._json(seen, owner.documents[path])
                elif path in owner.files:
                    self._file(seen, path, body)
                else:
                    seen.status = 404
                    self.send_error(404)

            def _not_modified(self, path: str) -> bool:
                match = self.headers.get("If-None-Match")
                if match is not None:
                    return match == owner.etags[path]
                since = self.headers.get("If-Modified-Since")
                if since is None:
                    return False
                return parsedate_to_datetime(owner.last_modified[path]) <= parsedate_to_datetime(since)

            def _file(self, seen: Seen, path: str, body: bool) -> None:
                data = owner.files[path]
                is_archive = owner.archive is not None and path.endswith(f"/{ARCHIVE_MONTH}.zip")
                if is_archive and owner.corrupt:
                    data = corrupted(data, owner.corrupt_member)
                elif self._not_modified(path):
                    seen.status = 304
                    self.send_response(304)
                    self.send_header("ETag", owner.etags[path])
                    self.end_headers()
                    return
                start = 0
                wanted = self.headers.get("Range")
                if wanted and not owner.ignore_range and self.headers.get("If-Range") in (None, owner.etags[path]):
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    seen.status = 206
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    seen.status = 200
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("ETag", owner.etags[path])
                self.send_header("Last-Modified", owner.last_modified[path])
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if not body:
                    return
                chunk = data[start:]
                if owner.cut_after is not None and owner.cut_path in (None, path):
                    chunk, owner.cut_after = chunk[: owner.cut_after], None
                    self.wfile.write(chunk)
                    seen.sent = len(chunk)
                    self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
                    return
                self.wfile.write(chunk)
                seen.sent = len(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, path: str, data: bytes, modified: str = MODIFIED) -> None:
        """Serve ``data`` at ``path`` (a URL path, with its query string; unquoted), with a new ETag."""
        key = urllib.parse.unquote(path)
        self.files[key] = data
        self.etags[key] = _etag(data)
        self.last_modified[key] = modified

    @property
    def etag(self) -> str:
        """The archive's ETag."""
        return self.etags[f"/data/archive/{ARCHIVE_MONTH}.zip"]

    @etag.setter
    def etag(self, value: str) -> None:
        self.etags[f"/data/archive/{ARCHIVE_MONTH}.zip"] = value

    @property
    def modified(self) -> str:
        """The archive's Last-Modified."""
        return self.last_modified[f"/data/archive/{ARCHIVE_MONTH}.zip"]

    @property
    def archive_url(self) -> str:
        return f"{self.url}/data/archive/{ARCHIVE_MONTH}.zip"

    def archive_gets(self) -> list[Seen]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith(".zip")]

    def gets(self, path: str) -> list[Seen]:
        """The GET requests of ``path`` (unquoted, with its query)."""
        return [r for r in self.requests if r.method == "GET" and urllib.parse.unquote(r.path) == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def catalogue_path(url: str) -> str:
    """The path (and query) of a catalogue URL, unquoted: where the loopback server serves it."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.unquote(parts.path + (f"?{parts.query}" if parts.query else ""))


def serve_source(server: Server, source_id: str, data: bytes, *, path: str | None = None) -> str:
    """Serve ``data`` as catalogue source ``source_id``'s file, at its catalogue path (or ``path``).

    A Datastore source is also listed by the Datastore API on the server, its resource pointing at
    the file (newest first, as CKAN lists). Returns the file's path.
    """
    from metforward.ingest.catalogue import source

    found = source(source_id)
    where = path or (catalogue_path(found.urls[0]) if found.urls else f"/download/{found.id}/1/{found.file}")
    server.publish(where, data)
    if found.method == "datastore" and found.api_url:
        api = catalogue_path(found.api_url)
        listed = server.documents.get(api)
        previous = listed["result"]["resources"] if isinstance(listed, dict) else []  # type: ignore[index]
        resource = {"name": found.file, "url": server.url + urllib.parse.quote(where), "format": "CSV"}
        server.documents[api] = {"success": True, "result": {"resources": [resource, *previous]}}
    return where
