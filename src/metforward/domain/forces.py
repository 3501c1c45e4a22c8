"""Police forces as police.uk names them (``/api/forces``): id slug and full name."""

from __future__ import annotations

import re
from typing import Final

from metforward.domain.areas import borough_code

FORCES: Final[dict[str, str]] = {
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "bedfordshire": "Bedfordshire Police",
    "btp": "British Transport Police",
    "cambridgeshire": "Cambridgeshire Constabulary",
    "cheshire": "Cheshire Constabulary",
    "city-of-london": "City of London Police",
    "cleveland": "Cleveland Police",
    "cumbria": "Cumbria Constabulary",
    "derbyshire": "Derbyshire Constabulary",
    "devon-and-cornwall": "Devon & Cornwall Police",
    "dorset": "Dorset Police",
    "durham": "Durham Constabulary",
    "dyfed-powys": "Dyfed-Powys Police",
    "essex": "Essex Police",
    "gloucestershire": "Gloucestershire Constabulary",
    "greater-manchester": "Greater Manchester Police",
    "gwent": "Gwent Police",
    "hampshire": "Hampshire Constabulary",
    "hertfordshire": "Hertfordshire Constabulary",
    "humberside": "Humberside Police",
    "kent": "Kent Police",
    "lancashire": "Lancashire Constabulary",
    "leicestershire": "Leicestershire Police",
    "lincolnshire": "Lincolnshire Police",
    "merseyside": "Merseyside Police",
    "metropolitan": "Metropolitan Police Service",
    "norfolk": "Norfolk Constabulary",
    "north-wales": "North Wales Police",
    "north-yorkshire": "North Yorkshire Police",
    "northamptonshire": "Northamptonshire Police",
    "northern-ireland": "Police Service of Northern Ireland",
    "northumbria": "Northumbria Police",
    "nottinghamshire": "Nottinghamshire Police",
    "south-wales": "South Wales Police",
    "south-yorkshire": "South Yorkshire Police",
    "staffordshire": "Staffordshire Police",
    "suffolk": "Suffolk Constabulary",
    "surrey": "Surrey Police",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
    "warwickshire": "Warwickshire Police",
    "west-mercia": "West Mercia Police",
    "west-midlands": "West Midlands Police",
    "west-yorkshire": "West Yorkshire Police",
    "wiltshire": "Wiltshire Police",
}

_BY_NAME: Final[dict[str, str]] = {name.lower(): slug for slug, name in FORCES.items()}

#: data.police.uk file names: ``2024-01-metropolitan-street.csv`` (also ``-outcomes``, ``-stop-and-search``).
_FILE_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)\b")


def force_id(name: str) -> str:
    """Return the police.uk force id for a force's full name, or a slug of the name if unknown."""
    key = name.strip().lower()
    if key in _BY_NAME:
        return _BY_NAME[key]
    return re.sub(r"[^a-z0-9]+", "-", key).strip("-")


def parse_file_name(name: str) -> tuple[str, str, str] | None:
    """Return ``(month, force, kind)`` from a data.police.uk file name, or None if it is not one."""
    match = _FILE_NAME.search(name.rsplit("/", 1)[-1])
    if match is None:
        return None
    return match["month"], match["force"], match["kind"]


#: Names of the areas indicator series are stored by (force ids and the London region), in any case.
_AREA_ALIASES: Final[dict[str, str]] = {
    "metropolitan police": "metropolitan",
    "metropolitan police service": "metropolitan",
    "met": "metropolitan",
    "mps": "metropolitan",
    "london, city of": "city-of-london",
    "city of london police": "city-of-london",
    "london": "E12000007",  # the London region (Met + City)
}


def area_code(text: str) -> str | None:
    """The stored area code of a force or area (as indicator series are stored): police.uk force id or GSS
    code; None if unknown. Not the London alias table (:data:`metforward.domain.areas.LONDON_NAMES`): a
    series is a force's or a region's, so MPS is the Met and London the London region (Met and City).

    >>> area_code("Metropolitan Police"), area_code("London, City of"), area_code("Westminster")
    ('metropolitan', 'city-of-london', 'E09000033')
    """
    key = text.strip()
    if key.lower() in _AREA_ALIASES:
        return _AREA_ALIASES[key.lower()]
    if key.lower() in FORCES:
        return key.lower()
    for slug, name in FORCES.items():
        if name.lower() == key.lower():
            return slug
    if re.fullmatch(r"[EWSN]\d{8}", key.upper()):
        return key.upper()
    return borough_code(key)
