"""The plan's strands: a registry of the views each has (a question, a page under ``/strands/``, an API route
under ``/api/v1/strands/``, a command and a section of the borough reports).

:data:`STRANDS` drives the ``/strands`` index page and the strand sections of the Local Policing Summary
(:mod:`metforward.questions.reports`), in its order. A new strand is one entry here (and its question in
:data:`metforward.questions.QUESTIONS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from metforward.analyse.reports import Missing
from metforward.analyse.strands import StrandSection
from metforward.domain.periods import Period
from metforward.errors import MetforwardError
from metforward.questions import business_crime, fairness, vawg, visible_policing, youth_violence
from metforward.store.database import Database


@dataclass(frozen=True)
class Strand:
    """One strand: ``slug`` (its path under ``/strands/`` and ``/api/v1/strands/``), its title, the plan's
    words for it, what the view shows, the registered question it asks, and the borough report's section
    (``section(db, borough_code, year_before, year)``; None for a strand whose report section is built
    by the report itself: youth violence and visible policing, in :mod:`metforward.questions.reports`)."""

    slug: str
    title: str
    plan: str
    summary: str
    question: str
    section: Callable[[Database, str, Period, Period], StrandSection] | None


STRANDS: tuple[Strand, ...] = (
    Strand(
        "vawg",
        "Violence against women and girls",
        'the plan\'s "The Way Forward" strand',
        "Offences and victims by borough, ward and offence group, each against the year before with a verdict; "
        "victims by age and by ethnic appearance against the population.",
        vawg.QUESTION.name,
        vawg.section,
    ),
    Strand(
        "business-crime",
        "Business crime",
        "the plan's business crime strand",
        "Offences against businesses by borough and crime group with verdicts, and the share of outcomes that "
        "were positive, with intervals.",
        business_crime.QUESTION.name,
        business_crime.section,
    ),
    Strand(
        "fairness",
        "Fairness in outcomes",
        "the plan's strand on fairness in criminal justice outcomes",
        "Custody disposals by ethnicity per 1,000 residents and each group's ratio to White, beside the "
        "stop-and-search ratios; each group's disposals by outcome.",
        fairness.QUESTION.name,
        fairness.section,
    ),
    Strand(
        "youth-violence",
        "Youth violence",
        'the plan\'s "Time for Action" strand',
        "Knife-injury victims aged 1-24 and homicide victims under 25 (the seeds' teenage murders), with exact "
        "intervals for counts this small.",
        youth_violence.QUESTION.name,
        None,
    ),
    Strand(
        "visible-policing",
        "Visible and accessible policing",
        "the plan's strand on visible and accessible policing",
        "How far residents live from the nearest open police front counter, before and after the 2013 closures.",
        visible_policing.QUESTION.name,
        None,
    ),
)


def strand(slug: str) -> Strand:
    """The strand at ``slug`` (KeyError when none)."""
    for s in STRANDS:
        if s.slug == slug:
            return s
    raise KeyError(slug)


def sections(db: Database, borough: str, before: Period, after: Period) -> list[StrandSection]:
    """Each strand's section of a borough report for ``after`` against ``before``, in :data:`STRANDS` order; a
    strand whose figures cannot be made says why instead."""
    out = []
    for s in STRANDS:
        if s.section is None:
            continue
        try:
            out.append(s.section(db, borough, before, after))
        except MetforwardError as exc:
            out.append(StrandSection(s.slug, s.title, missing=Missing(f"{s.title}: {exc}", f"see /strands/{s.slug}")))
    return out


__all__ = ["STRANDS", "Strand", "sections", "strand"]
