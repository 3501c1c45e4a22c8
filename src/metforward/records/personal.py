"""Personal data at rest: identifying fields encrypted (AES-256-GCM) and searched through a keyed blind index.

**The personal data key** is its own secret, apart from the records key of :mod:`.keys` (which protects
second factors and signs CSRF tokens): ``METFORWARD_PERSONAL_KEY`` (32 random bytes, URL-safe base64), or
else the key file beside the store (``<store>.personal.key``, made with mode 0600 on first use). Two keys
and a key id are derived from it with HKDF-SHA256 (its salt is the bytes ``b"metforward personal"``), one per use:

* ``aes-gcm``: encrypts each value with a random 96-bit nonce. The associated data binds the ciphertext
  to its ``table.column`` (and key id): a value copied into another column does not decrypt.
* ``blind index``: HMAC-SHA256 of a person's normalised name and date of birth (:func:`blind_index`), kept
  beside the ciphertexts so an exact search is one indexed lookup that decrypts nothing but the matches.
* ``key id``: 4 bytes (8 hex digits) stored in every ciphertext, so a value says which key opens it.

A stored value is ``mfp1:<key id>:<base64url(nonce || ciphertext || tag)>``. Models declare encrypted
columns with :class:`EncryptedText` / :class:`EncryptedDate` and blind indexes with :func:`blind_index_column`;
the types find the keys in effect for the current transaction (:meth:`metforward.records.db.Database.transaction`
puts the database's :attr:`~metforward.records.db.Database.personal` key ring in effect), and refuse to
read or write personal data without one.

**Rotation** (``metforward records rotate-key``, :func:`rotate`): a new secret is written beside the key
file (``<file>.next``, mode 0600) *before* anything changes; then, in one transaction, every encrypted
value of every table is decrypted and encrypted again under the new key and every blind index recomputed;
then the new key file replaces the old one. The old key then opens nothing (no value names its key id)
and finds nothing (no index was made with it). If the rotation stops half-way, the key ring (:func:`load`)
reads the ``.next`` key as well, so nothing is unreadable, and running ``rotate-key`` again finishes it
with the same new key. With ``METFORWARD_PERSONAL_KEY`` set, the new secret is read from
``METFORWARD_PERSONAL_KEY_NEXT``; after the rotation make it the ``METFORWARD_PERSONAL_KEY`` of every
process.

Backups hold ciphertexts only: keep the key apart. Lose it and the personal fields of every register are
gone for good (by design).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import MetaData, String, Table, Text, TypeDecorator, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from metforward.errors import BadRequest, StoreError

if TYPE_CHECKING:
    from metforward.records.access import Principal
    from metforward.records.db import Database

ENV = "METFORWARD_PERSONAL_KEY"
ENV_NEXT = "METFORWARD_PERSONAL_KEY_NEXT"
PREFIX = "mfp1"
NONCE_BYTES = 12


def _derive(secret: bytes, purpose: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"metforward personal", info=purpose).derive(secret)


@dataclass(frozen=True)
class PersonalKey:
    """One personal data key: its id, its AES-GCM key and its blind-index key (all derived from one secret)."""

    key_id: str
    aes_key: bytes = field(repr=False)
    index_key: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, secret: bytes) -> PersonalKey:
        if len(secret) < 32:
            raise BadRequest(
                "the personal data key is too short: give 32 random bytes (URL-safe base64)", field="personal_key"
            )
        return cls(_derive(secret, b"key id", 4).hex(), _derive(secret, b"aes-gcm"), _derive(secret, b"blind index"))

    @classmethod
    def generate(cls) -> tuple[PersonalKey, str]:
        """A new random key and its secret as written to a key file."""
        text = secrets.token_urlsafe(32)
        return cls.from_secret(_decode(text)), text


@dataclass(frozen=True)
class KeyRing:
    """The key that encrypts (and makes blind indexes), and older ones that only decrypt (mid-rotation)."""

    active: PersonalKey
    others: tuple[PersonalKey, ...] = ()
    _aead: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_aead", {k.key_id: AESGCM(k.aes_key) for k in (self.active, *self.others)})

    @property
    def key_ids(self) -> tuple[str, ...]:
        return (self.active.key_id, *(k.key_id for k in self.others))

    def encrypt(self, binding: str, plaintext: str) -> str:
        """``plaintext`` encrypted under the active key, bound to ``binding`` (``table.column``)."""
        nonce = os.urandom(NONCE_BYTES)
        kid = self.active.key_id
        sealed = self._aead[kid].encrypt(nonce, plaintext.encode(), _associated(binding, kid))
        return f"{PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def decrypt(self, binding: str, stored: str) -> str:
        """The plaintext of ``stored`` (a value of ``binding``); :class:`StoreError` if no key here opens it."""
        try:
            prefix, kid, body = stored.split(":", 2)
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, binascii.Error) as exc:
            raise StoreError(f"{binding}: a stored value is not an encrypted personal field") from exc
        aead = self._aead.get(kid)
        if prefix != PREFIX or aead is None:
            raise StoreError(
                f"{binding}: a value is encrypted under personal data key {kid}, which is not the key given "
                f"(key {self.active.key_id}): set METFORWARD_PERSONAL_KEY or the key file to the key it was written with"
            )
        try:
            plain: bytes = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(binding, kid))
        except InvalidTag as exc:
            raise StoreError(f"{binding}: an encrypted value fails its integrity check (changed or moved)") from exc
        return plain.decode()

    def index(self, name: str, date_of_birth: dt.date | str, purpose: str = "person") -> str:
        """The blind index of a person under the active key (see :func:`blind_index`)."""
        return blind_index(self.active, name, date_of_birth, purpose)


def _associated(binding: str, kid: str) -> bytes:
    return f"metforward personal|{binding}|{kid}".encode()


_NOT_NAME = re.compile(r"[^a-z ]+")


def normalise_name(name: str) -> str:
    """A name as the blind index sees it: accents dropped, case folded, only letters and single spaces
    (``"  Zara  O'Quill-Fenn "`` -> ``"zara oquillfenn"``)."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    letters = _NOT_NAME.sub("", stripped.casefold().replace("-", "").replace("\u2019", "").replace("'", ""))
    return " ".join(letters.split())


def blind_index(key: PersonalKey, name: str, date_of_birth: dt.date | str, purpose: str = "person") -> str:
    """HMAC-SHA256 (hex) of ``purpose``, the normalised name and the ISO date of birth under ``key``'s
    index key: equal for the same person however the name was typed, and useless without the key."""
    dob = (
        date_of_birth.isoformat()
        if isinstance(date_of_birth, dt.date)
        else dt.date.fromisoformat(date_of_birth).isoformat()
    )
    message = f"{purpose}|{normalise_name(name)}|{dob}".encode()
    return hmac.new(key.index_key, message, hashlib.sha256).hexdigest()


# --- the keys in effect ----------------------------------------------------------------------------------


class LazyRing:
    """A key ring loaded on first use (so a command that touches no personal data never makes a key file)."""

    def __init__(self, loader: Callable[[], KeyRing]) -> None:
        self._loader = loader
        self._ring: KeyRing | None = None

    def get(self) -> KeyRing:
        if self._ring is None:
            self._ring = self._loader()
        return self._ring


def lazy(key_file: Path) -> LazyRing:
    """The key ring of :func:`load`, loaded when an encrypted column is first read or written."""
    return LazyRing(lambda: load(key_file))


_ACTIVE: ContextVar[KeyRing | LazyRing | None] = ContextVar("metforward_personal_keys", default=None)


@contextlib.contextmanager
def using(ring: KeyRing | LazyRing | None) -> Iterator[None]:
    """Put ``ring`` in effect for encrypted columns within the block (None leaves what is in effect)."""
    if ring is None:
        yield
        return
    token = _ACTIVE.set(ring)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def current() -> KeyRing:
    """The key ring in effect; :class:`StoreError` if none is (personal data is never read or written bare)."""
    ring = _ACTIVE.get()
    if ring is None:
        raise StoreError(
            "no personal data key is in effect: open the records database with its key "
            "(METFORWARD_PERSONAL_KEY or the key file beside the store)"
        )
    return ring.get() if isinstance(ring, LazyRing) else ring


# --- column types ----------------------------------------------------------------------------------------


class EncryptedText(TypeDecorator[str]):
    """A text column kept encrypted (AES-GCM under the key in effect), bound to ``table.column``."""

    impl = Text
    cache_ok = True

    def __init__(self, binding: str) -> None:
        super().__init__()
        if binding.count(".") != 1:
            raise ValueError("an encrypted column's binding is 'table.column'")
        self.binding = binding

    def encode(self, value: Any) -> str:
        return str(value)

    def decode(self, text: str) -> Any:
        return text

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current().encrypt(self.binding, self.encode(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.decode(current().decrypt(self.binding, value))


class EncryptedDate(EncryptedText):
    """A date column kept encrypted (its ISO form)."""

    cache_ok = True

    def encode(self, value: Any) -> str:
        if not isinstance(value, dt.date):
            raise ValueError("an encrypted date column takes datetime.date")
        return value.isoformat()

    def decode(self, text: str) -> Any:
        return dt.date.fromisoformat(text)


#: The key a blind index column's ``info`` names its source columns under: (name column, date column, purpose).
BLIND_INDEX = "metforward_blind_index"


def blind_index_column(name_column: str, dob_column: str, purpose: str = "person") -> Mapped[str]:
    """A blind index column (64 hex digits, indexed) over a model's encrypted name and date-of-birth
    columns; :func:`rotate` recomputes it from them."""
    return mapped_column(String(64), index=True, info={BLIND_INDEX: (name_column, dob_column, purpose)})


def encrypted_columns(metadata: MetaData) -> dict[Table, list[str]]:
    """Every table's encrypted columns (checked to be bound to their own ``table.column``)."""
    found: dict[Table, list[str]] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                if column.type.binding != f"{table.name}.{column.name}":
                    raise ValueError(f"{table.name}.{column.name} is bound to {column.type.binding}")
                found.setdefault(table, []).append(column.name)
    return found


# --- loading and rotating keys ---------------------------------------------------------------------------


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("the personal data key is not URL-safe base64", field="personal_key") from exc


def _write_new(path: Path, text: str) -> None:
    """``text`` into a new file ``path`` (mode 0600), whole or not at all."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(text + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        draft.unlink()


def next_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".next")


def load(key_file: Path, environ: Mapping[str, str] | None = None) -> KeyRing:
    """The key ring from ``METFORWARD_PERSONAL_KEY`` (and ``..._NEXT``, decrypt only), else from
    ``key_file`` (created, mode 0600, if absent) and its ``.next`` file left by an unfinished rotation."""
    env = os.environ if environ is None else environ
    if env.get(ENV):
        active = PersonalKey.from_secret(_decode(env[ENV]))
        others = (PersonalKey.from_secret(_decode(env[ENV_NEXT])),) if env.get(ENV_NEXT) else ()
        return KeyRing(active, others)
    if not key_file.exists():
        _write_new(key_file, secrets.token_urlsafe(32))
    active = PersonalKey.from_secret(_decode(key_file.read_text(encoding="ascii")))
    pending = next_file(key_file)
    others = (PersonalKey.from_secret(_decode(pending.read_text(encoding="ascii"))),) if pending.exists() else ()
    return KeyRing(active, tuple(k for k in others if k.key_id != active.key_id))


@dataclass(frozen=True)
class Rotation:
    """What :func:`rotate` did."""

    old_key_ids: tuple[str, ...]
    new_key_id: str
    #: Rows re-encrypted, by table.
    rows: Mapping[str, int]
    #: Where the new key now is: the key file, or the environment variable to set.
    key_at: str


def reencrypt(database: Database, ring: KeyRing, metadata: MetaData, who: Principal | None = None) -> dict[str, int]:
    """Every encrypted value of every table of ``metadata`` read with ``ring`` (any of its keys) and written
    again under its active key, and every blind index recomputed, in one transaction (audited as
    ``rotate_key`` when ``who`` is given); rows per table."""
    from metforward.records import audit  # (audit opens databases, whose transactions use this module)

    done: dict[str, int] = {}
    with database.transaction() as session, using(ring):
        for table, columns in encrypted_columns(metadata).items():
            indexes = [c for c in table.columns if BLIND_INDEX in c.info]
            keys = list(table.primary_key.columns)
            count = 0
            for row in session.execute(select(*keys, *(table.c[c] for c in columns))).mappings():
                values: dict[str, Any] = {c: row[c] for c in columns}
                for index in indexes:
                    name_column, dob_column, purpose = index.info[BLIND_INDEX]
                    name, born = values[name_column], values[dob_column]
                    values[index.name] = None if name is None or born is None else ring.index(name, born, purpose)
                where = [key == row[key.name] for key in keys]
                session.execute(update(table).where(*where).values(**values))
                count += 1
            done[table.name] = count
        if who is not None:
            others = ",".join(k.key_id for k in ring.others) or "-"
            audit.append(
                session,
                who,
                "rotate_key",
                record_type="personal_key",
                detail=f"personal data key {others} -> {ring.active.key_id}; rows {done}",
            )
    return done


def rotate(
    database: Database,
    key_file: Path,
    metadata: MetaData | None = None,
    environ: Mapping[str, str] | None = None,
    who: Principal | None = None,
) -> Rotation:
    """Re-encrypt every personal field of ``metadata``'s tables (default: every records table) under a new
    key and recompute every blind index (see the module's notes on how a rotation that stops half-way is
    finished)."""
    if metadata is None:
        from metforward.records.models import Base  # (the models use this module's column types)

        metadata = Base.metadata
    env = os.environ if environ is None else environ
    old = load(key_file, env)
    if env.get(ENV):
        if not env.get(ENV_NEXT):
            raise BadRequest(
                f'{ENV} is set: put the new key in {ENV_NEXT} (python -c "import secrets; '
                'print(secrets.token_urlsafe(32))") and run rotate-key again',
                field="personal_key",
            )
        new = PersonalKey.from_secret(_decode(env[ENV_NEXT]))
        where = f"{ENV}: set it to the value of {ENV_NEXT} in every process, then unset {ENV_NEXT}"
    else:
        pending = next_file(key_file)
        if not pending.exists():
            _write_new(pending, secrets.token_urlsafe(32))
        new = PersonalKey.from_secret(_decode(pending.read_text(encoding="ascii")))
        where = str(key_file)
    previous = tuple(k for k in (old.active, *old.others) if k.key_id != new.key_id)
    rows = reencrypt(database, KeyRing(new, previous), metadata, who)
    if not env.get(ENV):
        os.replace(next_file(key_file), key_file)
    database.personal = KeyRing(new)
    return Rotation(tuple(k.key_id for k in previous), new.key_id, rows, where)


def ring_of(keys: Sequence[PersonalKey]) -> KeyRing:
    """A key ring whose first key encrypts and whose others only decrypt."""
    return KeyRing(keys[0], tuple(keys[1:]))
