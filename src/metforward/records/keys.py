"""The records' secret key: it encrypts second-factor secrets at rest (Fernet: AES-128-CBC and
HMAC-SHA256) and signs the web's CSRF tokens. Two keys are derived from one secret with HKDF-SHA256, one
per use.

The secret is ``METFORWARD_RECORDS_KEY`` (32 random bytes, URL-safe base64, as ``metforward records
upgrade`` prints none; make one with ``python -c "import secrets; print(secrets.token_urlsafe(32))"``), or
else the key file beside the store (``<store>.records.key``, created with mode 0600 on first use). Keep it
apart from backups: a copied backup then does not give away anyone's second factor. Lose it and second
factors must be set up again (``metforward users totp EMAIL``); passwords are unaffected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from metforward.errors import BadRequest, StoreError


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"metforward records", info=purpose).derive(secret)


@dataclass(frozen=True)
class Keys:
    """The keys derived from the records' secret."""

    fernet_key: bytes
    signing_key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> Keys:
        if len(secret) < 32:
            raise BadRequest(
                "the records key is too short: give 32 random bytes (URL-safe base64)", field="records_key"
            )
        return cls(base64.urlsafe_b64encode(_derive(secret, b"fernet")), _derive(secret, b"signing"))

    def encrypt(self, text: str) -> str:
        return Fernet(self.fernet_key).encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return Fernet(self.fernet_key).decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise StoreError(
                "a second-factor secret cannot be decrypted with this records key (the key changed?): "
                "set it up again with `metforward users totp EMAIL`"
            ) from exc

    def sign(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of ``value`` for ``purpose`` (hex)."""
        return hmac.new(self.signing_key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("METFORWARD_RECORDS_KEY is not URL-safe base64", field="records_key") from exc


def load(key_file: Path, environ: dict[str, str] | None = None) -> Keys:
    """The keys from ``METFORWARD_RECORDS_KEY``, else from ``key_file`` (created, mode 0600, if absent)."""
    env = os.environ if environ is None else environ
    if env.get("METFORWARD_RECORDS_KEY"):
        return Keys.from_secret(_decode(env["METFORWARD_RECORDS_KEY"]))
    if not key_file.exists():
        # written whole beside it, then linked into place: a second process never reads half a key
        draft = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            draft.unlink()
    return Keys.from_secret(_decode(key_file.read_text(encoding="ascii")))
