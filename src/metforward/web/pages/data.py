"""``/data``: data and methods: what is loaded, sources and licence, method notes, vendored versions.

The coverage grid and tables come from the status question (:mod:`metforward.questions.status`), as
``metforward status`` shows them, with the rejects and the loads. The methods table names each statistical
method the figures use, with its citation and the module that implements it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from metforward import ATTRIBUTION
from metforward.questions import status
from metforward.web.answers import answer
from metforward.web.pages.overview import page

router = APIRouter()

#: Where the data comes from (publisher, what, where, licence).
SOURCES = (
    (
        "data.police.uk",
        "Home Office / police forces",
        "street-level crime, outcomes and stop and search, by force and month (anonymised snap points)",
        "https://data.police.uk/data/",
    ),
    (
        "London Datastore",
        "MOPAC / GLA",
        "MPS recorded crime by borough and ward and month; MPS monthly crime dashboard; Public Attitude Survey",
        "https://data.london.gov.uk/",
    ),
    (
        "Office for National Statistics",
        "ONS (Open Geography Portal, Nomis)",
        "borough, ward and LSOA boundaries; LSOA and ward lookups; population estimates; Census 2021 ethnic group",
        "https://geoportal.statistics.gov.uk/",
    ),
    (
        "GLA population estimates",
        "Greater London Authority",
        "borough mid-year population estimates",
        "https://data.london.gov.uk/",
    ),
    (
        "Police workforce",
        "MOPAC; Home Office police workforce statistics",
        "officers, staff, PCSOs and Special Constables",
        "https://www.gov.uk/government/collections/police-workforce-england-and-wales",
    ),
)


@dataclass(frozen=True)
class Method:
    """One statistical method: what it answers, the citation, where it is used and implemented."""

    name: str
    question: str
    citation: str
    used_in: str
    module: str


METHODS = (
    Method(
        "Exact conditional test of two Poisson rates",
        "Did crime change between two periods more than chance would explain?",
        "Przyborowski and Wilenski (1940); Clopper and Pearson (1934) interval; Krishnamoorthy and Thomson (2004)",
        "Compare, results so far, borough page, hot streets",
        "metforward.analyse.poisson",
    ),
    Method(
        "Benjamini-Hochberg false discovery rate",
        "Which of many changes are notable, keeping false alarms rare?",
        "Benjamini and Hochberg (1995)",
        "q values in every comparison table and the exceptions list",
        "metforward.analyse.poisson",
    ),
    Method(
        "Wilson score interval",
        "How sure is a proportion (sanction detection, arrest rate, survey agreement)?",
        "Wilson (1927); Newcombe (1998) for differences",
        "Sanction detection, stop and search, public confidence, targets",
        "metforward.analyse.proportions",
    ),
    Method(
        "Funnel plot with overdispersion",
        "Is a borough's rate out of line with London's, allowing for its size?",
        "Spiegelhalter (2005)",
        "Performance by exception",
        "metforward.analyse.funnel",
    ),
    Method(
        "Statistical process control (XmR chart)",
        "Is this month unusual for this borough?",
        "NHS England and NHS Improvement (2019), Making Data Count",
        "Performance by exception",
        "metforward.analyse.spc",
    ),
    Method(
        "Getis-Ord Gi*",
        "Where does crime cluster more than chance would explain?",
        "Getis and Ord (1992); Ord and Getis (1995); Anselin (1995)",
        "Hot-spot map on the borough page and the map explorer",
        "metforward.analyse.hotspots",
    ),
    Method(
        "Knox test for near repeats",
        "Do crimes follow close in space and time?",
        "Knox (1964); Johnson et al. (2007); Ratcliffe (2009)",
        "Map explorer, CLI",
        "metforward.analyse.near_repeat",
    ),
    Method(
        "Targets with intervals",
        "Was a target achieved, missed, or can the data not tell?",
        "the target's interval against its threshold (docs/targets.md)",
        "Borough page targets, data packs",
        "metforward.analyse.targets",
    ),
)


def method_notes(folder: Path = Path("docs/methods")) -> list[tuple[str, str]]:
    """(file name, first heading) of each method note in the repository, when run from a checkout."""
    if not folder.is_dir():
        return []
    notes = []
    for path in sorted(folder.glob("*.md")):
        title = next(
            (line[2:].strip() for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# ")),
            path.stem,
        )
        notes.append((path.name, title))
    return notes


def grid(months: tuple[dt.date, ...]) -> list[tuple[int, list[str]]]:
    """Per year, twelve cells: ``loaded``, ``missing`` (inside the covered range) or ``""`` (outside)."""
    have = set(months)
    out = []
    for year in range(months[0].year, months[-1].year + 1):
        cells = []
        for m in range(1, 13):
            day = dt.date(year, m, 1)
            cells.append("loaded" if day in have else ("missing" if months[0] <= day <= months[-1] else ""))
        out.append((year, cells))
    return out


def vendored_versions() -> dict[str, str]:
    """Versions of the vendored browser assets (``web/static/vendor/versions.json``)."""
    text = resources.files("metforward.web").joinpath("static", "vendor", "versions.json").read_text(encoding="utf-8")
    versions: dict[str, str] = json.loads(text)
    return versions


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    """What is loaded, where it comes from, the licence, the methods."""
    loaded: status.Status = answer(request, status.QUESTION, status.Query()).result
    rows = loaded.police
    series = []
    for s in loaded.series:
        mine = [r for r in rows if (r.kind, r.force) == (s.kind, s.force)]
        n = sum(r.rows for r in mine)
        series.append(
            {
                "s": s,
                "rows": n,
                "rejected": sum(r.rejected for r in mine),
                "no_lsoa": sum(r.no_lsoa for r in mine) / n if n else None,
                "no_xy": sum(r.no_coordinates for r in mine) / n if n else None,
                "grid": grid(s.months),
            }
        )
    return page(
        request,
        "data.html",
        title="Data and methods",
        active="/data",
        series=series,
        datastore=loaded.datastore,
        reference=loaded.reference,
        rejects=(loaded.rejected_rows, loaded.loads_with_rejects),
        loads=loaded.live_loads,
        sources=SOURCES,
        methods=METHODS,
        notes=method_notes(),
        versions=vendored_versions(),
        licence=ATTRIBUTION,
    )
