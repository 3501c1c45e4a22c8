"""Areas: force > borough > ward > LSOA. GSS codes are the key; names are normalised to find them.

The 33 London local authorities (32 boroughs and the City of London) with their ONS GSS codes.
Source: ONS Register of Geographic Codes (E09000001 .. E09000033).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final


class AreaLevel(StrEnum):
    """Levels of the area hierarchy, largest first."""

    FORCE = "force"
    BOROUGH = "borough"
    WARD = "ward"
    LSOA = "lsoa"


LONDON_BOROUGHS: Final[dict[str, str]] = {
    "E09000001": "City of London",
    "E09000002": "Barking and Dagenham",
    "E09000003": "Barnet",
    "E09000004": "Bexley",
    "E09000005": "Brent",
    "E09000006": "Bromley",
    "E09000007": "Camden",
    "E09000008": "Croydon",
    "E09000009": "Ealing",
    "E09000010": "Enfield",
    "E09000011": "Greenwich",
    "E09000012": "Hackney",
    "E09000013": "Hammersmith and Fulham",
    "E09000014": "Haringey",
    "E09000015": "Harrow",
    "E09000016": "Havering",
    "E09000017": "Hillingdon",
    "E09000018": "Hounslow",
    "E09000019": "Islington",
    "E09000020": "Kensington and Chelsea",
    "E09000021": "Kingston upon Thames",
    "E09000022": "Lambeth",
    "E09000023": "Lewisham",
    "E09000024": "Merton",
    "E09000025": "Newham",
    "E09000026": "Redbridge",
    "E09000027": "Richmond upon Thames",
    "E09000028": "Southwark",
    "E09000029": "Sutton",
    "E09000030": "Tower Hamlets",
    "E09000031": "Waltham Forest",
    "E09000032": "Wandsworth",
    "E09000033": "Westminster",
}

#: Forms that publishers use besides the ONS names.
_ALIASES: Final[dict[str, str]] = {
    "city of westminster": "E09000033",
    "city": "E09000001",
    "kensington & chelsea": "E09000020",
    "hammersmith & fulham": "E09000013",
    "barking & dagenham": "E09000002",
    "royal borough of greenwich": "E09000011",
    "royal borough of kensington and chelsea": "E09000020",
    "royal borough of kingston upon thames": "E09000021",
}

#: The one alias table for "all of London" (the Metropolitan Police area as the figures cover it): an
#: area option given one of these, in any case, or left empty, asks about London as a whole.
LONDON_NAMES: Final[frozenset[str]] = frozenset(
    {"", "london", "all", "mps", "met", "met police", "metropolitan", "metropolitan police", "greater london"}
)


def means_london(text: str | None) -> bool:
    """Whether an area option asks about London as a whole (None, empty, or a name in :data:`LONDON_NAMES`).

    >>> means_london("MPS"), means_london(None), means_london("City of London")
    (True, True, False)
    """
    return text is None or re.sub(r"\s+", " ", text.strip().lower()) in LONDON_NAMES


GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
LSOA_CODE = re.compile(r"^[EW]01\d{6}$")


def _key(name: str) -> str:
    text = name.strip().lower().replace("&", " and ")
    text = re.sub(r"^(london borough of|the)\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


_BY_NAME: Final[dict[str, str]] = {
    **{_key(name): code for code, name in LONDON_BOROUGHS.items()},
    **{_key(alias): code for alias, code in _ALIASES.items()},
}


def borough_code(name_or_code: str) -> str | None:
    """Return the GSS code of a London borough given its code or any common form of its name.

    >>> borough_code("Richmond Upon Thames")
    'E09000027'
    >>> borough_code("City of Westminster")
    'E09000033'
    >>> borough_code("Aviation Security (SO18)") is None
    True
    """
    text = name_or_code.strip()
    if text.upper() in LONDON_BOROUGHS:
        return text.upper()
    return _BY_NAME.get(_key(text))


def force_of_borough(code: str) -> str | None:
    """The police.uk force id that polices a London borough (the City has its own force)."""
    if code == "E09000001":
        return "city-of-london"
    if code in LONDON_BOROUGHS:
        return "metropolitan"
    return None
