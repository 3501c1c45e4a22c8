"""The report PDFs the pages link to: the JEM data pack and the London bulletin, as the CLI writes them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def test_jem_and_bulletin_pdfs(client: TestClient, tmp_path: Path) -> None:
    page = client.get("/boroughs/westminster?year=2024")
    assert page.status_code == 200 and "/boroughs/westminster/jem.pdf" in page.text
    jem = client.get("/boroughs/westminster/jem.pdf")
    assert jem.status_code == 200 and jem.headers["content-type"] == "application/pdf"
    assert 'filename="jem-westminster.pdf"' in jem.headers["content-disposition"]
    text = _text(jem.content, tmp_path)
    for heading in ("Westminster: Joint Engagement Meeting data pack", "most similar boroughs", "LSOA rates"):
        assert heading in text
    assert "Open Government Licence" in text
    overview = client.get("/?month=2025-06")
    assert "/bulletin.pdf?month=2025-06" in overview.text
    bulletin = client.get("/bulletin.pdf?month=2025-06")
    assert bulletin.status_code == 200
    assert "London bulletin: results so far, 2025/26" in _text(bulletin.content, tmp_path)


def test_report_pdf_errors(client: TestClient) -> None:
    missing = client.get("/boroughs/atlantis/jem.pdf")
    assert missing.status_code == 404 and "not a London borough" in missing.text
    bad = client.get("/bulletin.pdf?month=June")
    assert bad.status_code == 422 and "YYYY-MM" in bad.text


def test_bad_content_file_is_a_clear_error_not_a_crash(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A content file the reports refuse (here an image) gives one error naming the file and line, not a bare 500."""
    from metforward.web.pages import downloads

    folder = tmp_path / "boroughs"
    folder.mkdir()
    (folder / "westminster.md").write_text(
        "---\nexample: true\n---\n## Chair's message\n\nHello.\n\n![office](http://127.0.0.1:9/x.png)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(downloads, "CONTENT_DIR", folder)
    response = client.get("/boroughs/westminster/summary.pdf?year=2024")
    assert response.status_code == 500
    assert "bad_content" in response.text
    assert "westminster.md:8" in response.text and "an image is not allowed" in response.text
