"""police.uk crime categories: the canonical taxonomy of street-level data.

The 14 current categories plus the three that police.uk used before May 2013
("Violent crime", "Public disorder and weapons") and before September 2011 ("Other crime"
merged differently); historic files still carry them. Source: data.police.uk/docs/method/crime-street/
and the category list of the API (``/api/crime-categories``).
"""

from __future__ import annotations

from typing import Final

#: police.uk "Crime type" text -> the API slug, current categories.
CRIME_TYPES: Final[dict[str, str]] = {
    "Anti-social behaviour": "anti-social-behaviour",
    "Bicycle theft": "bicycle-theft",
    "Burglary": "burglary",
    "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs",
    "Other crime": "other-crime",
    "Other theft": "other-theft",
    "Possession of weapons": "possession-of-weapons",
    "Public order": "public-order",
    "Robbery": "robbery",
    "Shoplifting": "shoplifting",
    "Theft from the person": "theft-from-the-person",
    "Vehicle crime": "vehicle-crime",
    "Violence and sexual offences": "violent-crime",
}

#: Categories found in older police.uk files, still accepted on ingest.
HISTORIC_CRIME_TYPES: Final[dict[str, str]] = {
    "Violent crime": "violent-crime",
    "Public disorder and weapons": "public-disorder-weapons",
}

ALL_CRIME_TYPES: Final[dict[str, str]] = {**CRIME_TYPES, **HISTORIC_CRIME_TYPES}

#: police.uk stop-and-search "Type" values.
SEARCH_TYPES: Final[frozenset[str]] = frozenset({"Person search", "Vehicle search", "Person and Vehicle search"})
