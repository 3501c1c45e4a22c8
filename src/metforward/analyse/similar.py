"""Most similar boroughs: nearest neighbours on standardised size, density and crime profile.

The method (see ``docs/methods/similar_boroughs.md``):

1. For every London borough with data: resident population (the latest estimate in or before
   the year of the last month used: ONS LSOA mid-year estimates summed to boroughs, else the GLA
   borough estimates, read by :func:`metforward.questions.similar.similarity`), density (population per km²,
   area from the borough boundaries loaded) and crime profile (the share of each London
   Datastore major category in the borough's recorded crime over the last ``months`` months).
2. Each variable is standardised to a z-score across the boroughs compared (mean 0, standard
   deviation 1; population standard deviation). Size is log population and density log density,
   since both are strongly right-skewed across London (Westminster and the City would otherwise
   set the scale).
3. The distance between two boroughs is Euclidean over the weighted z-scores. Three blocks weigh
   equally: size, density and profile; within the profile block each category's weight is
   ``1/k`` (k categories), so the profile counts as much as size, not k times as much.
4. The nearest ``k`` boroughs (the borough itself, at distance 0, excluded) are the most similar.

This follows the idea of the Home Office "families" of Basic Command Units and Crime and
Disorder Reduction Partnerships and of the "most similar groups" of police forces: areas are
compared with others alike on standardised characteristics, measured by distance across the
variables (Home Office, "Family ties: developing Basic Command Unit families for comparative
purposes", 2001). Those families use cluster analysis on many socio-demographic variables; this
is the simpler nearest-neighbour form on the three blocks the store holds, and says so.

The City of London has no London Datastore rows (the Datastore covers the Metropolitan Police
Service's 32 boroughs), so it has no crime profile and is left out, with a note.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import NDArray

from metforward.domain.areas import LONDON_BOROUGHS
from metforward.domain.periods import month_text
from metforward.errors import MetforwardError

CITY = "E09000001"


class SimilarError(MetforwardError):
    """Most similar boroughs cannot be found as asked (no data loaded, unknown borough)."""

    code = "similar"


@dataclass(frozen=True)
class BoroughProfile:
    """One borough's inputs to the similarity: raw values and z-scores."""

    code: str
    name: str
    population: float
    area_km2: float
    density: float  # residents per km²
    shares: dict[str, float]  # major category -> share of the borough's crime in the window
    z: dict[str, float] = field(default_factory=dict)  # variable -> z-score

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class Neighbour:
    """A similar borough and its distance."""

    code: str
    name: str
    distance: float

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class Similarity:
    """The profiles of every borough compared, the weights, and the distance matrix."""

    profiles: list[BoroughProfile]
    variables: list[str]
    weights: dict[str, float]
    distances: NDArray[np.float64]
    first: dt.date
    last: dt.date
    population_year: int
    notes: list[str] = field(default_factory=list)

    def index(self, code: str) -> int:
        """The position of a borough in :attr:`profiles`."""
        for i, p in enumerate(self.profiles):
            if p.code == code:
                return i
        known = ", ".join(p.name for p in self.profiles)
        raise SimilarError(f"{LONDON_BOROUGHS.get(code, code)} has no similarity profile (boroughs with one: {known})")

    def distance(self, a: str, b: str) -> float:
        """The distance between two boroughs (GSS codes)."""
        return float(self.distances[self.index(a), self.index(b)])

    def nearest(self, code: str, k: int = 5) -> list[Neighbour]:
        """The ``k`` boroughs nearest ``code``, nearest first (ties by name), the borough itself left out."""
        i = self.index(code)
        others = [j for j in range(len(self.profiles)) if j != i]
        others.sort(key=lambda j: (round(float(self.distances[i, j]), 12), self.profiles[j].name))
        return [
            Neighbour(self.profiles[j].code, self.profiles[j].name, round(float(self.distances[i, j]), 6))
            for j in others[:k]
        ]


def block_weights(variables: list[str]) -> dict[str, float]:
    """Equal weight per block: ``size`` 1, ``density`` 1, and each profile share ``1/k``."""
    shares = [v for v in variables if v not in ("size", "density")]
    return {v: (1.0 / len(shares) if v in shares else 1.0) for v in variables}


def zscores(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Column-wise z-scores (population standard deviation); a constant column becomes zeros."""
    mean = values.mean(axis=0)
    sd = values.std(axis=0)
    safe = np.where(sd > 0, sd, 1.0)
    return np.where(sd > 0, (values - mean) / safe, 0.0)


def weighted_distances(z: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Euclidean distances between rows of ``z`` with per-column ``weights`` on the squared differences."""
    diff = z[:, None, :] - z[None, :, :]
    return np.asarray(np.sqrt((diff**2 * weights[None, None, :]).sum(axis=2)), dtype=np.float64)


@dataclass(frozen=True)
class SimilarityInputs:
    """What the similarity rests on, as read from the store (:func:`metforward.questions.similar.similarity`)."""

    counts: dict[str, dict[str, int]]  # borough -> major category -> crimes in the window
    people: dict[str, float]  # borough -> residents
    area: dict[str, float]  # borough -> km²
    first: dt.date
    last: dt.date
    months: int  # months asked
    months_present: int
    population_year: int


def similarity_of(inputs: SimilarityInputs) -> Similarity:
    """Profiles, z-scores and distances for every borough with population, area and Datastore counts."""
    counts, people, area = inputs.counts, inputs.people, inputs.area
    first, end, months = inputs.first, inputs.last, inputs.months
    if not counts:
        raise SimilarError(f"no London Datastore borough counts between {month_text(first)} and {month_text(end)}")
    notes: list[str] = []
    if inputs.months_present < months:
        notes.append(
            f"crime profile: {inputs.months_present} of the {months} months {first:%Y-%m} to {end:%Y-%m} are loaded"
        )
    categories = sorted({c for per in counts.values() for c in per})
    profiles: list[tuple[str, str, float, float, dict[str, float]]] = []
    for code in sorted(LONDON_BOROUGHS):
        name = LONDON_BOROUGHS[code]
        missing = [
            what
            for what, ok in (
                ("population", code in people),
                ("boundary area", code in area),
                ("Datastore counts", code in counts),
            )
            if not ok
        ]
        if missing:
            reason = (
                "the London Datastore covers the Met's 32 boroughs"
                if code == CITY and missing == ["Datastore counts"]
                else f"load the {' and '.join(missing)}"
            )
            notes.append(f"{name} left out: no {', '.join(missing)} ({reason})")
            continue
        total = sum(counts[code].values())
        shares = {c: counts[code].get(c, 0) / total for c in categories}
        profiles.append((code, name, people[code], area[code], shares))
    if len(profiles) < 3:
        raise SimilarError(
            f"only {len(profiles)} borough(s) have population, boundary area and Datastore counts: load the GLA/ONS "
            "population estimates, the borough boundaries and the Datastore borough file"
        )
    variables = ["size", "density", *categories]
    matrix = np.array(
        [[math.log(p), math.log(p / a), *(s[c] for c in categories)] for _, _, p, a, s in profiles], dtype=np.float64
    )
    z = zscores(matrix)
    weights = block_weights(variables)
    distances = weighted_distances(z, np.array([weights[v] for v in variables]))
    out = [
        BoroughProfile(
            code,
            name,
            round(pop, 1),
            round(a, 3),
            round(pop / a, 1),
            {c: round(v, 6) for c, v in shares.items()},
            {v: round(float(z[i, j]), 4) for j, v in enumerate(variables)},
        )
        for i, (code, name, pop, a, shares) in enumerate(profiles)
    ]
    return Similarity(out, variables, weights, distances, first, end, inputs.population_year, notes)
