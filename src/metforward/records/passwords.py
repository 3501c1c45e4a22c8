"""Passwords: hashed with Argon2id, and checked against a minimum length and a list of common passwords.

Argon2id parameters (OWASP Password Storage Cheat Sheet's first choice; RFC 9106): memory 19 MiB
(19,456 KiB), 2 iterations, 1 lane, a 16-byte random salt and a 32-byte hash. A hash made with other
parameters is rehashed with these at the next successful sign-in (:func:`needs_rehash`).

The policy (OWASP ASVS 4.0.3 V2.1, NIST SP 800-63B 5.1.1.2): at least :data:`MIN_LENGTH` characters, at most
:data:`MAX_LENGTH`; any characters (spaces and Unicode too, normalised to NFKC); no composition rules; refused
when it is, or is built on, a common password (``common_passwords.txt``), a single repeated character, or
contains the account's email name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

from metforward.errors import BadRequest

MIN_LENGTH = 12
MAX_LENGTH = 256
MEMORY_KIB = 19_456
ITERATIONS = 2
LANES = 1

HASHER = PasswordHasher(
    time_cost=ITERATIONS, memory_cost=MEMORY_KIB, parallelism=LANES, hash_len=32, salt_len=16, type=Type.ID
)
#: A hash to verify against when no account matches, so a sign-in takes as long whether or not it exists.
_DUMMY = HASHER.hash("metforward: no such account")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("metforward.records").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _normal(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _cores(password: str) -> set[str]:
    """The forms of a password compared with the list: as given (lower case), without trailing digits and
    symbols, with letter-for-digit swaps undone, and a repeated word folded to one."""
    lower = password.lower()
    forms = {lower, re.sub(r"[\d\W_]+$", "", lower), re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lower)}
    forms |= {form.translate(_LEET) for form in list(forms)}
    forms |= {re.sub(r"[\d\W_]+$", "", form.translate(_LEET)) for form in (lower,)}
    folded = set()
    for form in forms:
        repeat = re.fullmatch(r"(.+?)\1+", form)
        if repeat:
            folded.add(repeat.group(1))
    return {form for form in forms | folded if form}


def check_policy(password: str, email: str = "") -> None:
    """Raise :class:`BadRequest` (field ``password``) when ``password`` breaks the policy; the message says why
    and never repeats the password."""
    text = _normal(password)
    if len(text) < MIN_LENGTH:
        raise BadRequest(f"the password is too short: use at least {MIN_LENGTH} characters", field="password")
    if len(text) > MAX_LENGTH:
        raise BadRequest(f"the password is too long: use at most {MAX_LENGTH} characters", field="password")
    if len(set(text)) == 1:
        raise BadRequest("the password is one character repeated: choose another", field="password")
    if _cores(text) & common_passwords():
        raise BadRequest(
            "the password is, or is built on, a commonly used password: choose another (a few unrelated words work well)",
            field="password",
        )
    name = email.split("@", 1)[0].lower()
    if len(name) >= 4 and name in text.lower():
        raise BadRequest("the password contains the account's email name: choose another", field="password")


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string) of ``password`` (check the policy first)."""
    return HASHER.hash(_normal(password))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the hash ``stored``; with no hash (no account, or no password) a dummy
    hash is verified, so the answer takes as long."""
    try:
        return HASHER.verify(stored or _DUMMY, _normal(password)) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's."""
    return HASHER.check_needs_rehash(stored)
