"""Boroughs as the write side names them: GSS codes (E09...), resolved from a name or code by the domain's
one London borough resolver (:func:`metforward.domain.areas.borough_code`). Records never depend on the
DuckDB store, so they know the 33 London local authorities the domain lists, whatever is loaded."""

from __future__ import annotations

from metforward.domain.areas import LONDON_BOROUGHS, borough_code
from metforward.errors import NotFound


def resolve(text: str) -> str:
    """The GSS code of a London borough given as a name (any common form) or a code; :class:`NotFound`
    otherwise."""
    code = borough_code(text)
    if code is None:
        raise NotFound(
            f"no London borough called {text!r}: give a name (Westminster, Kensington and Chelsea) "
            "or a GSS code (E09000001 to E09000033)",
            field="borough",
        )
    return code


def name(code: str) -> str:
    """The borough's name (its code, if it is not a London borough)."""
    return LONDON_BOROUGHS.get(code, code)
