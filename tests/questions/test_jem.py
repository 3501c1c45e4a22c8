"""The JEM pack's data: each part equals the matching CLI command's JSON, and missing data degrade to notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from metforward.analyse.compare import Period
from metforward.analyse.jem import KNIFE, VIOLENCE_MAJOR, YOUTH_KNIFE
from metforward.cli import app
from metforward.questions.jem import jem_data
from metforward.questions.outcomes import dashboard_rates
from metforward.store.database import Database
from tests.conftest import SampleStores

runner = CliRunner()


@pytest.fixture(scope="module")
def store(sample_stores: SampleStores) -> str:
    return str(sample_stores.copy(name="jem"))  # the sample ingested through the CLI


def cli_json(store: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", store, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_westminster_pack_equals_the_cli(store: str) -> None:
    with Database(Path(store)) as db:
        pack = jem_data(db, "Westminster")
        knife = dashboard_rates(db, "E09000033", Period.parse("2025-03:2026-02"), crime_type=KNIFE[0])
    assert pack.borough_code == "E09000033" and all(p.available for p in pack.parts)
    trends = pack.trends.data
    assert (trends["first"], trends["last"], trends["before"], trends["after"]) == (
        "2010-04", "2026-02", "2024-03:2025-02", "2025-03:2026-02",
    )  # fmt: skip
    assert trends["months_present"] == trends["months_spanned"] == 191
    compare = cli_json(
        store, "compare", "--source", "datastore", "--by", "major", "--area", "Westminster",
        "--before", "2024-03:2025-02", "--after", "2025-03:2026-02", "--datastore-kind", "datastore-borough", "--json",
    )["items"]  # fmt: skip
    assert trends["comparison"] == compare
    assert isinstance(compare, list)
    for row in compare:  # the monthly series add up to the comparison's counts
        months = trends["monthly"][row["category"]]
        assert sum(n for m, n in months.items() if "2025-03" <= m <= "2026-02") == row["after"]
    violence = pack.violence.data
    assert violence["violence_against_the_person"]["category"] == VIOLENCE_MAJOR
    assert violence["knife_crime"]["offences"] == knife.total.offences > 0
    assert violence["youth_knife_injury_victims"]["crime_subtype"] == YOUTH_KNIFE[1]
    assert any("proxies" in n for n in pack.violence.notes)
    streets = cli_json(store, "hotstreets", "--area", "Westminster", "--period", "2024-01:2024-12", "--json")
    assert isinstance(streets, dict)
    hot = pack.hot_streets.data
    assert (hot["period"], hot["total"], hot["streets_for_half"]) == (
        streets["meta"]["period"], streets["meta"]["crimes"], streets["meta"]["streets_for_half"],
    )  # fmt: skip
    assert hot["rows"] == streets["items"][:20]
    repeats = cli_json(store, "repeats", "--area", "Westminster", "--end", "2024-12", "--json")["items"]
    assert pack.repeat_locations.data["locations"] == repeats
    lsoa = pack.lsoa_rates.data["areas"]
    assert sum(a["count"] for a in lsoa) == hot["total"]  # every crime with a location lies in one LSOA
    assert all(a["rate_per_1000"] is not None for a in lsoa)
    similar = pack.similar.data
    assert [s["code"] for s in similar["side_by_side"]][0] == "E09000033"
    assert len(similar["neighbours"]) == 5 and similar["side_by_side"][1]["name"] == "Camden"
    borough_rows = [r for r in compare if r["category"] == VIOLENCE_MAJOR]
    assert similar["side_by_side"][0]["violence"] == borough_rows[0]["after"]
    assert similar["side_by_side"][0]["crimes"] == sum(r["after"] for r in compare)
    assert similar["side_by_side"][0]["knife_crime"] == knife.total.offences
    outcomes = cli_json(store, "outcomes", "--area", "Westminster", "--period", "2024-01:2024-12", "--json")
    assert isinstance(outcomes, dict)
    assert pack.outcomes.data["total"] == outcomes["meta"]["total_row"] and outcomes["meta"]["total_row"]["crimes"] > 0
    assert pack.outcomes.data["outcome_months"] == outcomes["meta"]["outcome_months"]
    searches = pack.stop_and_search.data
    assert searches["coverage"]["months"] == ["2024-01", "2024-02", "2024-03"]
    assert 0 < searches["rates"]["arrests"] <= searches["rates"]["count"] == searches["coverage"]["searches"]
    json.dumps(pack.as_dict())  # JSON-ready


def test_missing_data_degrade_to_notes(store: str) -> None:
    with Database(Path(store)) as db:
        barnet = jem_data(db, "Barnet")  # no police.uk street rows in the sample
        city = jem_data(db, "City of London")  # no London Datastore rows
    assert barnet.trends.available and barnet.similar.available
    for part in (barnet.hot_streets, barnet.repeat_locations, barnet.lsoa_rates, barnet.outcomes):
        assert not part.available and not part.data.get("rows") and part.notes
    assert "load the street files" in barnet.hot_streets.notes[0]
    assert not city.trends.available and "32 boroughs" in city.trends.notes[0]
    assert not city.similar.available and "no similarity profile" in city.similar.notes[0]
    assert city.hot_streets.available and city.hot_streets.data["total"] > 0
