"""The questions metforward answers, each in one module: a ``Query`` (text options, validated, with
their defaults), ``ask(db, query) -> Answer``, and a :class:`~metforward.questions.base.Question` entry.

The command line, the web pages, the JSON API and the Python API all call :func:`ask` here and
render the :class:`~metforward.questions.answer.Answer`; they hold no SQL, statistics or defaults.
"""

from __future__ import annotations

from metforward.questions import (
    allocation,
    bulletin,
    business_crime,
    compare,
    confidence,
    exceptions,
    fairness,
    harm,
    hotspots,
    hotstreets,
    indicators,
    jem,
    maps,
    near_repeat,
    outcomes,
    repeats,
    searches,
    status,
    targets,
    vawg,
    visible_policing,
    youth_violence,
)
from metforward.questions.answer import Answer
from metforward.questions.base import Question

#: Every question, by name (a new question module adds its ``QUESTION`` here).
QUESTIONS: dict[str, Question] = {
    q.name: q
    for q in (
        compare.QUESTION,
        outcomes.QUESTION,
        searches.QUESTION,
        confidence.QUESTION,
        indicators.QUESTION,
        status.QUESTION,
        bulletin.QUESTION,
        jem.QUESTION,
        hotstreets.QUESTION,
        repeats.QUESTION,
        hotspots.QUESTION,
        near_repeat.QUESTION,
        maps.QUESTION,
        exceptions.QUESTION,
        harm.QUESTION,
        targets.QUESTION,
        vawg.QUESTION,
        business_crime.QUESTION,
        fairness.QUESTION,
        youth_violence.QUESTION,
        visible_policing.QUESTION,
        allocation.QUESTION,
    )
}


def question(name: str) -> Question:
    """The question called ``name``."""
    return QUESTIONS[name]


__all__ = ["QUESTIONS", "Answer", "Question", "question"]
