"""The strands' registry: each strand a registered question with its API route, and a section for the borough
reports (shown on the sample; on an empty store, what is missing and how to load it)."""

from __future__ import annotations

from pathlib import Path

from metforward.domain.periods import Period
from metforward.questions import QUESTIONS
from metforward.questions.strands import STRANDS, sections, strand
from metforward.store.database import Database


def test_every_strand_is_a_registered_question_with_its_route() -> None:
    assert len({s.slug for s in STRANDS}) == len(STRANDS)
    for s in STRANDS:
        question = QUESTIONS[s.question]
        assert question.route == f"/strands/{s.slug}"
        assert strand(s.slug) is s


def test_the_report_sections_on_the_sample_and_on_an_empty_store(web_store: Path, db: Database) -> None:
    year, before = Period.parse("2024-01:2024-12"), Period.parse("2023-01:2023-12")
    with Database(web_store, read_only=True) as store:
        shown = sections(store, "E09000033", before, year)
    # youth violence and visible policing have sections of their own in the report (questions/reports.py)
    assert [s.slug for s in shown] == [s.slug for s in STRANDS if s.section is not None]
    for s in shown:
        assert s.missing is None and s.rows and s.command.startswith("metforward ")
        assert all(len(r) == len(s.header) for r in s.rows)
    vawg_rows = {r[0]: r for r in shown[0].rows}
    assert set(vawg_rows) == {"offences", "victims"} and vawg_rows["offences"][-1] in ("up", "down", "can't tell")
    empty = sections(db, "E09000033", before, year)
    assert all(s.missing is not None and "ingest" in s.missing.how for s in empty)
