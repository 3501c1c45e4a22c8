"""Reports load nothing: content Markdown carries no HTML or images, the HTML forbids the network, the PDF fetches nothing."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward.cli import app
from metforward.present.content import ContentError, load_content
from metforward.present.report import pdf_bytes
from tests.conftest import SampleStores

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content" / "boroughs"
CODE = "E09000033"

HEAD = """---
example: false
---

## Chair's message

"""  # the body's first line is line 7 of the file


def _content_file(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "westminster.md").write_text(HEAD + body, encoding="utf-8")
    return folder


# --- content files ------------------------------------------------------------------------------------

REFUSED = [
    ("image", "Our new office:\n\n![the office](http://127.0.0.1:9/office.png)\n", 9, "image"),
    ("image-reference", "See ![the map][m] below.\n\n[m]: https://example.org/map.png\n", 7, "image"),
    ("image-local", "Text first.\n![logo](logo.png)\n", 8, "image"),
    ("script", "Hello.\n\n<script>fetch('http://127.0.0.1:9/')</script>\n", 9, "raw HTML"),
    ("img-tag", 'Hello <img src="http://127.0.0.1:9/x.png"> there.\n', 7, "raw HTML"),
    ("iframe", 'One.\n\nTwo.\n\n<iframe src="http://127.0.0.1:9/"></iframe>\n', 11, "raw HTML"),
    ("style", "<style>body { background: url(http://127.0.0.1:9/b.png) }</style>\n", 7, "raw HTML"),
    ("comment", "Words <!-- a note --> more words.\n", 7, "raw HTML"),
]


@pytest.mark.parametrize(("body", "line", "what"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_content_with_html_or_images_is_refused_with_file_and_line(
    tmp_path: Path, body: str, line: int, what: str
) -> None:
    folder = _content_file(tmp_path, body)
    with pytest.raises(ContentError) as caught:
        load_content(folder, CODE, "westminster")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / 'westminster.md'}:{line}: ")
    assert what in message and "remove" in message


def test_links_stay_links_and_nothing_is_embedded(tmp_path: Path) -> None:
    body = "Read [the plan](https://www.london.gov.uk/plan) or <https://www.met.police.uk/>.\n"
    folder = _content_file(tmp_path, body)
    html = str(load_content(folder, CODE, "westminster").sections["chair_message"])
    assert '<a href="https://www.london.gov.uk/plan">the plan</a>' in html
    assert '<a href="https://www.met.police.uk/">' in html
    assert not re.search(r"<(img|script|iframe|style|object|embed|link)\b", html)


def test_the_shipped_content_files_load() -> None:
    for path in sorted(CONTENT.glob("*.md")):
        load_content(CONTENT, "none", path.stem)


# --- the reports -------------------------------------------------------------------------------------------

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> Path:
    return sample_stores.copy(name="safety")  # the sample ingested through the CLI


KINDS = {
    "summary": ["summary", "--borough", "westminster", "--year", "2024", "--content", str(CONTENT)],
    "bulletin": ["bulletin", "--month", "2025-06"],
    "jem": ["jem", "--borough", "westminster"],
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_html_report_forbids_the_network(store: Path, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.html"
    result = runner.invoke(app, ["--db", str(store), "report", *KINDS[kind], "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    head = html[: html.index("</head>")]
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    assert meta in head
    assert head.index(meta) < head.index("<style>")  # a CSP meta tag only governs what follows it
    assert not re.search(r"<(img|script|iframe|object|embed|link)\b", html)


def test_cli_refuses_a_content_file_with_a_remote_image(store: Path, tmp_path: Path) -> None:
    folder = _content_file(tmp_path, "Hello.\n\n![x](http://127.0.0.1:9/x.png)\n")
    out = tmp_path / "w.html"
    args = ["--db", str(store), "report", "summary", "--borough", "westminster", "--year", "2024"]
    result = runner.invoke(app, [*args, "--content", str(folder), "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {folder / 'westminster.md'}:9: ")
    assert not out.exists()


# --- the PDF fetcher ----------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[int, list[str]]]:
    """A real loopback HTTP server that records every request it gets (and would serve a PNG)."""
    requests: list[str] = []
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2214bc50000000049454e44ae426082"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "image/png")
            self.end_headers()
            self.wfile.write(b"body { color: red }" if self.path.endswith(".css") else png)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_pdf_build_fetches_nothing_and_does_not_crash(server: tuple[int, list[str]]) -> None:
    port, requests = server
    base = f"http://127.0.0.1:{port}"
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="{base}/linked.css">
<style>@import url({base}/imported.css);
@font-face {{ font-family: Remote; src: url({base}/font.woff) }}
body {{ background: url({base}/background.png); font-family: Remote }}</style></head>
<body><p>Report text survives.</p><img src="{base}/x.png" alt="x"><img src="relative.png" alt="r">
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{base}/svg.png" width="10" height="10"/></svg>
<object data="{base}/object.svg"></object></body></html>"""
    pdf = pdf_bytes(html)
    assert pdf.startswith(b"%PDF-")
    assert requests == []
    # the server did answer: a direct request is seen, so an empty list means nothing was asked
    import urllib.request

    with urllib.request.urlopen(f"{base}/probe.png", timeout=5) as response:
        assert response.status == 200
    assert requests == ["/probe.png"]
