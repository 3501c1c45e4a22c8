"""Reference data built into metforward: London's LSOA, ward and borough lookups and boundaries.

The files in ``reference_data/`` (built from the shared corpus by ``scripts/build_reference.py``;
sources, generalisation and licence in ``reference_data/README.md``) are what a London store needs
to place police.uk rows in LSOAs, wards and boroughs and to draw them, so that a fresh store with
one police.uk file answers ``hotspots``, ``hotstreets``, ``compare --level borough`` and the map
layers with no other file loaded. Other regions' reference data comes through ``fetch``.

When they are loaded (first use): at the end of every write run that loaded a file (``ingest``, ``refresh``,
``fetch``), each built-in file whose table (the two lookups) or boundary level (borough, ward,
LSOA) holds no rows at all in the store is loaded through the normal ingest path, in its own
transaction, recorded in ``loads`` with ``source_path`` ``built-in:<file>``. Readers (every
question, ``serve``, the Python API) never write, so the first question after an ingest finds the
data there. A store holding any rows of a table or level, whoever loaded them, is left as it is:
built-in data never overwrites what the user loaded; and a real file loaded later retires the
built-in rows it stands in for (:mod:`metforward.store.loading`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from metforward.store.loading import BUILT_IN


@dataclass(frozen=True)
class BuiltIn:
    """One built-in file and what it fills: a lookup table, or one level of ``areas``."""

    file: str
    table: str  # lsoa_lookup | lsoa_wards | areas
    level: str | None  # the boundary level, for areas
    what: str

    @property
    def source_path(self) -> str:
        """How ``loads`` names it: ``built-in:<file>``."""
        return BUILT_IN + self.file

    @property
    def holds(self) -> tuple[str, str | None]:
        """What it fills, as :func:`metforward.store.catalog.reference_held` names it."""
        return (self.table, self.level)


#: In load order: the lookups first, so each boundaries load places searches with the LSOAs' boroughs known.
FILES: tuple[BuiltIn, ...] = (
    BuiltIn("london_lsoa11_lsoa21_lad22.csv.gz", "lsoa_lookup", None, "ONS LSOA 2011 -> LSOA 2021 -> LAD 2022, London"),
    BuiltIn("london_lsoa21_ward24_lad24.csv.gz", "lsoa_wards", None, "ONS LSOA 2021 -> ward 2024 -> LAD 2024, London"),
    BuiltIn("london_lad24_boundaries.geojson.gz", "areas", "borough", "London borough boundaries (2024)"),
    BuiltIn("london_ward24_boundaries.geojson.gz", "areas", "ward", "London ward boundaries (Dec 2024)"),
    BuiltIn("london_lsoa21_boundaries.geojson.gz", "areas", "lsoa", "London LSOA 2021 boundaries"),
)


def missing(held: set[tuple[str, str | None]]) -> list[BuiltIn]:
    """The built-in files whose table or level is not among ``held`` (what the store holds rows of)."""
    return [item for item in FILES if item.holds not in held]


@contextmanager
def path(item: BuiltIn) -> Iterator[Path]:
    """A file system path to the built-in file for the length of the block (the package may be zipped)."""
    with resources.as_file(resources.files("metforward.ingest").joinpath("reference_data", item.file)) as found:
        yield found
