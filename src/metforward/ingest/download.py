"""Downloading a file into a cache folder, resumably, with checksums and conditional requests.

Downloads are resumable: bytes go to ``<file>.part``; the ETag and Last-Modified of the response
that started the part are kept beside it in ``<file>.part.json``, and a later attempt asks for the
rest with ``Range: bytes=N-`` and ``If-Range`` (a server that answers 200 instead of 206 sends
the whole file, and the part starts again from zero). A finished file is recorded in the cache's
``manifest.json`` (url, size, SHA-256, ETag, Last-Modified, fetched_at); the next fetch of it
asks the server with a conditional GET (``If-None-Match``/``If-Modified-Since``) and does not
download it again when the answer is 304 Not Modified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import logging
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metforward import __version__
from metforward.errors import FetchError

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
USER_AGENT = f"metforward/{__version__} (+https://data.police.uk data; open policing-accountability figures)"

#: Seconds to wait before the n-th retry is n times this.
BACKOFF_SECONDS = 1.0

CHUNK = 1 << 20
_TIMEOUT = 60.0
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: What a dropped or failed connection raises (HTTPError, a subclass of URLError, is handled first).
_NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    http.client.HTTPException,
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
)
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")

#: Called with bytes so far and the total size (None when the server does not say).
ByteProgress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Download:
    """A file in the cache, complete and checked."""

    url: str
    path: Path
    size: int
    sha256: str
    transferred: int  # bytes received by this call (0 when the cached copy was still current)
    resumed: bool  # a partial download was continued with a range request
    from_cache: bool  # the server said the cached copy is current; nothing was downloaded

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "url": self.url,
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "transferred": self.transferred,
            "resumed": self.resumed,
            "from_cache": self.from_cache,
        }


# -- HTTP ---------------------------------------------------------------------------------------------


def _open(url: str, headers: Mapping[str, str] | None = None, timeout: float = _TIMEOUT) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    return urllib.request.urlopen(request, timeout=timeout)


def _reason(exc: BaseException) -> str:
    """A one-line reason for a network error."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection closed before the whole response arrived"
    return " ".join(str(exc).split()) or type(exc).__name__


def get_json(url: str, *, retries: int = 3, backoff: float | None = None, timeout: float = _TIMEOUT) -> Any:
    """GET a JSON document, retrying connection errors and 429/5xx answers up to ``retries`` times."""
    attempt = 0
    while True:
        try:
            with _open(url, {"Accept": "application/json"}, timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRY_STATUS or attempt >= retries:
                raise FetchError(f"cannot read {url}: {_reason(exc)}") from exc
            reason = _reason(exc)
        except _NETWORK_ERRORS as exc:
            if attempt >= retries:
                raise FetchError(f"cannot reach {url}: {_reason(exc)}") from exc
            reason = _reason(exc)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{url} did not answer with JSON ({exc})") from exc
        attempt += 1
        logger.info("%s: %s; attempt %d of %d", url, reason, attempt + 1, retries + 1)
        time.sleep((BACKOFF_SECONDS if backoff is None else backoff) * attempt)


# -- downloading --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _write_json(path: Path, body: Mapping[str, Any]) -> None:
    """Write atomically: a killed process leaves the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """The cache's manifest: file name -> url, size, sha256, etag, last_modified, fetched_at."""
    files = _read_json(cache_dir / MANIFEST).get("files")
    return {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}


def _update_manifest(cache_dir: Path, name: str, entry: dict[str, Any] | None) -> None:
    files = read_manifest(cache_dir)
    if entry is None:
        files.pop(name, None)
    else:
        files[name] = entry
    _write_json(cache_dir / MANIFEST, {"files": files})


def discard(dest: Path) -> None:
    """Remove a cached file, its partial download and its manifest entry."""
    for path in (dest, dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")):
        path.unlink(missing_ok=True)
    if (dest.parent / MANIFEST).exists():
        _update_manifest(dest.parent, dest.name, None)


def _if_range(meta: Mapping[str, Any]) -> str | None:
    """The validator for ``If-Range``: a strong ETag, else Last-Modified (weak ETags may not be used)."""
    etag = meta.get("etag")
    if isinstance(etag, str) and etag and not etag.startswith("W/"):
        return etag
    modified = meta.get("last_modified")
    return modified if isinstance(modified, str) and modified else None


class _Truncated(Exception):
    """The body ended before the length the server announced."""


class _Restart(Exception):
    """The partial file cannot be continued; it was removed and the download starts again."""


#: Failures a download retries (resuming): network errors and short bodies.
_RETRYABLE: tuple[type[BaseException], ...] = (*_NETWORK_ERRORS, _Truncated)


def download(
    url: str,
    dest: Path,
    *,
    progress: ByteProgress | None = None,
    expected_sha256: str | None = None,
    verify: Callable[[Path], None] | None = None,
    retries: int = 3,
    backoff: float | None = None,
    timeout: float = _TIMEOUT,
) -> Download:
    """Download ``url`` to ``dest``: resumable, checked, and not again while the server's copy is unchanged.

    * Bytes go to ``dest.part``; the ETag/Last-Modified of the response that began it go to
      ``dest.part.json``. A part left by an earlier attempt is continued with ``Range`` and
      ``If-Range``; a 200 answer (range ignored, or the file changed) starts again from zero.
    * The received length is checked against Content-Length/Content-Range; the SHA-256 is
      computed, and compared with ``expected_sha256`` when given; ``verify`` (e.g. a zip check)
      may raise :class:`FetchError` to reject the file.
    * A dropped connection, a short body or a 408/429/5xx answer is retried up to ``retries``
      times, each time resuming. When they run out, :class:`FetchError` is raised and the part is
      kept for the next attempt. A file that fails its checksum or ``verify`` is removed (its bytes
      cannot be trusted, so resuming it would not help) and :class:`FetchError` is raised.
    * The finished file is recorded in ``manifest.json`` in its folder; a cached file is checked
      with a conditional GET and kept when the server answers 304 Not Modified (or the same
      ETag and size).
    """
    cache_dir = dest.parent
    cache_dir.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part_meta_path = dest.with_name(dest.name + ".part.json")

    known = read_manifest(cache_dir).get(dest.name)
    cached: dict[str, Any] | None = None
    if (
        known
        and known.get("url") == url
        and dest.is_file()
        and dest.stat().st_size == known.get("size")
        and (expected_sha256 is None or known.get("sha256") == expected_sha256)
    ):
        cached = known

    part_meta = _read_json(part_meta_path) if part.exists() else {}
    if part.exists() and part_meta.get("url") != url:
        part.unlink()  # a part of unknown origin cannot be continued safely
        part_meta = {}

    def use_cache(entry: dict[str, Any]) -> Download | None:
        if verify is not None:
            try:
                verify(dest)
            except FetchError as exc:
                logger.warning("the cached %s failed its check (%s); downloading it again", dest, exc)
                discard(dest)
                return None
        size = int(entry["size"])
        if progress is not None:
            progress(size, size)
        return Download(url, dest, size, str(entry["sha256"]), 0, False, True)

    transferred = 0
    resumed = False
    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers: dict[str, str] = {}
        if have:
            headers["Range"] = f"bytes={have}-"
            validator = _if_range(part_meta)
            if validator:
                headers["If-Range"] = validator
        elif cached is not None:
            if cached.get("etag"):
                headers["If-None-Match"] = str(cached["etag"])
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = str(cached["last_modified"])
        try:
            with _open(url, headers, timeout) as response:
                etag = response.headers.get("ETag")
                modified = response.headers.get("Last-Modified")
                length = response.headers.get("Content-Length")
                if response.status == 206 and have:
                    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
                    if match is None or int(match[1]) != have:
                        part.unlink()
                        raise _Restart(
                            f"the server answered the range request with {response.headers.get('Content-Range')!r}"
                        )
                    if etag and part_meta.get("etag") and etag != part_meta["etag"]:
                        part.unlink()  # the rest of a different version of the file: do not splice the two
                        raise _Restart(f"the file changed on the server (ETag {part_meta['etag']} -> {etag})")
                    total = int(match[3]) if match[3] != "*" else None
                    mode = "ab"
                    resumed = True
                elif response.status == 200:
                    total = int(length) if length and length.isdigit() else None
                    if (
                        cached is not None
                        and not have
                        and etag
                        and etag == cached.get("etag")
                        and total == cached.get("size")
                    ):  # the server ignored If-None-Match but the file is the one we have
                        found = use_cache(cached)
                        if found is not None:
                            return found
                        cached = None
                    if have:
                        logger.info("%s: the server sent the whole file instead of the rest; starting again", url)
                    have, mode = 0, "wb"
                    part_meta = {"url": url, "etag": etag, "last_modified": modified, "size": total}
                    _write_json(part_meta_path, part_meta)
                else:
                    raise FetchError(f"{url}: unexpected answer HTTP {response.status} {response.reason}")
                done = have
                with part.open(mode) as out:
                    if progress is not None:
                        progress(done, total)
                    while block := response.read(CHUNK):
                        out.write(block)
                        done += len(block)
                        transferred += len(block)
                        if progress is not None:
                            progress(done, total)
            size = part.stat().st_size
            if total is not None and size < total:
                raise _Truncated(f"received {size:,} of {total:,} bytes")
            if total is not None and size > total:
                part.unlink()
                raise _Restart(f"received {size:,} bytes, more than the {total:,} announced")
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 304 and cached is not None:
                found = use_cache(cached)
                if found is not None:
                    return found
                cached = None
                continue
            if exc.code == 416 and have:  # the part is not a prefix of the file any more
                part.unlink()
                reason: str = "the server refused the range request (416); starting again"
            elif exc.code in _RETRY_STATUS:
                reason = _reason(exc)
            elif exc.code == 404:
                raise FetchError(f"{url}: not found on the server (HTTP 404)") from exc
            else:
                raise FetchError(f"{url}: {_reason(exc)}") from exc
            failure: BaseException = exc
        except _Restart as exc:
            reason, failure = str(exc), exc
        except _RETRYABLE as exc:
            reason, failure = _reason(exc), exc
        if attempt >= retries:
            kept = part.stat().st_size if part.exists() else 0
            raise FetchError(
                f"{url}: download failed after {attempt + 1} attempts ({reason}); "
                + (f"{kept:,} bytes kept in {part}, run again to resume" if kept else "run again to retry")
            ) from failure
        attempt += 1
        logger.info("%s: %s; attempt %d of %d", url, reason, attempt + 1, retries + 1)
        time.sleep((BACKOFF_SECONDS if backoff is None else backoff) * attempt)

    digest = _sha256(part)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        part.unlink()
        part_meta_path.unlink(missing_ok=True)
        raise FetchError(
            f"{url}: SHA-256 {digest} does not match the expected {expected_sha256}; the download was removed"
        )
    if verify is not None:
        try:
            verify(part)
        except FetchError:
            part.unlink()
            part_meta_path.unlink(missing_ok=True)
            raise
    size = part.stat().st_size
    part.replace(dest)
    part_meta_path.unlink(missing_ok=True)
    _update_manifest(
        cache_dir,
        dest.name,
        {
            "url": url,
            "size": size,
            "sha256": digest,
            "etag": part_meta.get("etag"),
            "last_modified": part_meta.get("last_modified"),
            "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    logger.info("%s: %d bytes, sha256 %s%s", dest, size, digest, " (resumed)" if resumed else "")
    return Download(url, dest, size, digest, transferred, resumed, False)
