"""The password policy and Argon2id hashing with the stated parameters."""

from __future__ import annotations

import pytest

from metforward.errors import BadRequest
from metforward.records import passwords


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short one", "too short"),
        ("password1234", "commonly used"),
        ("P@ssw0rd!!!!!!", "commonly used"),
        ("Liverpool2024!", "commonly used"),
        ("monkeymonkeymonkey", "commonly used"),
        ("aaaaaaaaaaaaaaaa", "one character"),
        ("jo.bloggs-likes-tea", "email name"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, why: str) -> None:
    with pytest.raises(BadRequest, match=why) as caught:
        passwords.check_policy(password, "jo.bloggs@example.org")
    assert password not in str(caught.value)


def test_a_long_passphrase_is_accepted_and_hashed_with_argon2id_as_documented() -> None:
    passwords.check_policy("violet harbour lantern 42", "jo@example.org")
    stored = passwords.hash_password("violet harbour lantern 42")
    assert stored.startswith(f"$argon2id$v=19$m={passwords.MEMORY_KIB},t={passwords.ITERATIONS},p={passwords.LANES}$")
    assert passwords.verify_password(stored, "violet harbour lantern 42")
    assert not passwords.verify_password(stored, "violet harbour lantern 43")
    assert not passwords.verify_password(None, "violet harbour lantern 42")  # no account: refused, same work
    assert not passwords.needs_rehash(stored)


def test_the_list_ships_in_the_package() -> None:
    assert {"123456", "password", "qwerty"} <= passwords.common_passwords()
    assert len(passwords.common_passwords()) > 200
