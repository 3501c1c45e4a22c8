"""The source catalogue: every entry names readers that exist, and each corpus copy of a source is read by them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metforward import ATTRIBUTION
from metforward.cli import app
from metforward.ingest.catalogue import AREAS, CatalogueError, _source, catalogue, keeper, rebase, source
from metforward.ingest.pipeline import detect, formats
from metforward.ingest.readers import ReadOptions
from metforward.ingest.sources import InputFile, read_input
from metforward.ingest.supply import check_format

#: Corpus files read whole (to check the load kind) when at most this size; larger ones are only recognised.
READ_WHOLE = 60_000


def test_every_entry_names_readers_that_exist_and_is_complete() -> None:
    kinds = {f.kind for f in formats()}
    assert len(catalogue()) >= 20
    for s in catalogue():
        assert s.formats and set(s.formats) <= kinds, (s.id, s.formats)
        assert s.loads and set(s.keeps_current) <= set(s.loads), s.id
        assert s.landing.startswith("https://") and all(u.startswith("https://") for u in s.urls), s.id
        assert s.licence == "OGL-UK-3.0" and "Open Government Licence v3.0" in s.attribution, s.id
        if s.fetchable:
            assert s.file and (s.urls or s.dataset), s.id
        if s.method == "manual":
            assert s.note, f"{s.id}: a manual source says what to save"
    # every reader kind is the format of some source, and each kind refresh keeps current has one keeper
    assert kinds <= {k for s in catalogue() for k in s.formats}
    for kind in ("datastore-borough", "datastore-ward", "datastore-lsoa", "lookup-lsoa", "mopac-strength"):
        found = keeper(kind)
        assert found is not None and kind in found.loads


@pytest.mark.corpus
def test_every_corpus_copy_is_read_by_the_catalogues_reader(corpus: Path) -> None:
    checked = 0
    for s in catalogue():
        for name in s.corpus:
            path = corpus / name
            assert path.is_file(), f"{s.id}: {name} is not in the corpus"
            check_format(path, s, name)  # what fetch checks: the first 64 KB are of the source's format
            if path.stat().st_size <= READ_WHOLE:
                inp = read_input(InputFile(path))
                reader, header = detect(inp)
                assert reader.kind in s.formats, (s.id, name, reader.kind)
                load = reader.read(inp, header, ReadOptions())
                assert load.kind in s.loads, (s.id, name, load.kind)
                assert load.rows_loaded > 0, (s.id, name)
            checked += 1
    assert checked >= 25


def test_rebase_keeps_the_path_and_query() -> None:
    url = "https://services1.arcgis.com/X/FeatureServer/0/query?where=LAD24CD%20LIKE%20%27E09%25%27&f=geojson"
    assert rebase(url, None) == url
    assert rebase(url, "http://127.0.0.1:8765/") == (
        "http://127.0.0.1:8765/X/FeatureServer/0/query?where=LAD24CD%20LIKE%20%27E09%25%27&f=geojson"
    )
    assert (
        rebase("https://data.police.uk/api/forces", "http://mirror.example/m") == "http://mirror.example/m/api/forces"
    )


def test_a_malformed_entry_and_an_unknown_name_are_clear_errors() -> None:
    entry = dict.fromkeys(("id", "title", "publisher", "landing", "licence", "attribution", "cadence"), "x")
    entry |= {"method": "http", "version": "etag", "urls": [], "formats": [], "loads": [], "areas": ["london"]}
    entry |= {"corpus": [], "colour": "red"}
    with pytest.raises(CatalogueError, match=r"unknown keys \['colour'\]"):
        _source(entry, 0)
    del entry["colour"]
    with pytest.raises(CatalogueError, match="an http source needs a URL"):
        _source(entry, 0)
    with pytest.raises(CatalogueError, match="areas must be"):
        _source({**entry, "urls": ["https://a/b"], "file": "b", "areas": ["paris"]}, 0)
    with pytest.raises(Exception, match=r"no source 'datastore-boro' .*did you mean datastore-borough"):
        source("datastore-boro")


def test_the_sources_command_lists_the_catalogue() -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    for s in catalogue():
        assert s.id in table.stdout
    assert ATTRIBUTION in " ".join(table.stdout.split())
    out = json.loads(runner.invoke(app, ["sources", "--json", "--area", "england-wales"]).stdout)
    assert out["attribution"] == ATTRIBUTION
    listed = {s["id"]: s for s in out["sources"]}
    assert set(listed) == {s.id for s in catalogue() if "england-wales" in s.areas}
    assert listed["lookup-lsoa11-lsoa21"]["formats"] == ["lookup-lsoa"]
    assert listed["policeuk"]["version"] == "new-month"
    bad = runner.invoke(app, ["sources", "--area", "wales"])
    assert bad.exit_code == 2 and f"not one of {', '.join(AREAS)}" in bad.stderr
