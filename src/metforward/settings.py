"""Settings shared by the faces: where the store lives and where the corpus is."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from metforward.errors import BadRequest

DEFAULT_DB = "metforward.duckdb"


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on with an OpenID Connect provider (see docs/records.md, "Single sign-on").

    Built by :meth:`from_env` from ``METFORWARD_OIDC_*``; None in :attr:`Settings.oidc` when
    ``METFORWARD_OIDC_ISSUER`` is not set (password sign-in only).
    """

    #: The provider's issuer URL, exactly as its ID tokens name it (its discovery document is read from
    #: ``<issuer>/.well-known/openid-configuration``).
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    #: Shown on the sign-in page: "Sign in with <name>"; also names the method in sessions and the audit
    #: log (``oidc:<name>``).
    name: str = "single sign-on"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    #: The claim naming the user's role (a string, or a list of strings such as groups).
    role_claim: str = "metforward_role"
    #: Claim value -> role. Empty: the claim's value must be a role's own name (admin, analyst, ...).
    roles: tuple[tuple[str, str], ...] = ()
    #: The claim listing the user's boroughs (names or GSS codes): for the roles scoped to boroughs.
    boroughs_claim: str = "metforward_boroughs"
    #: Seconds of clock difference allowed when checking the ID token's times.
    leeway: int = 60

    @property
    def method(self) -> str:
        """How a session signed in with this provider is named: ``oidc:<name>`` (at most 40 characters)."""
        slug = "-".join("".join(c if c.isalnum() else " " for c in self.name.lower()).split())
        return f"oidc:{slug or 'provider'}"[:40]

    def role_for(self, value: str) -> str | None:
        """The role a claim value maps to (None: it maps to none)."""
        if not self.roles:
            return value
        return dict(self.roles).get(value)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OidcSettings | None:
        """``METFORWARD_OIDC_ISSUER``, ``_CLIENT_ID``, ``_CLIENT_SECRET`` (or ``_CLIENT_SECRET_FILE``: a file
        holding it), ``_NAME``, ``_SCOPES`` (space-separated), ``_ROLE_CLAIM``, ``_ROLES``
        (``value=role,value=role``), ``_BOROUGHS_CLAIM`` and ``_LEEWAY`` (seconds)."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return env.get(f"METFORWARD_OIDC_{name}", "").strip()

        issuer = get("ISSUER").rstrip("/")
        if not issuer:
            return None
        loopback = issuer.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
        if not issuer.startswith("https://") and not loopback:
            raise BadRequest(
                f"METFORWARD_OIDC_ISSUER={issuer!r} is not an https:// URL (plain http only on loopback)",
                field="oidc_issuer",
            )
        secret = env.get("METFORWARD_OIDC_CLIENT_SECRET", "")
        if not secret and get("CLIENT_SECRET_FILE"):
            try:
                secret = Path(get("CLIENT_SECRET_FILE")).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise BadRequest(
                    f"METFORWARD_OIDC_CLIENT_SECRET_FILE: cannot read {get('CLIENT_SECRET_FILE')}: {exc.strerror}",
                    field="oidc_client_secret",
                ) from None
        if not get("CLIENT_ID") or not secret:
            raise BadRequest(
                "METFORWARD_OIDC_ISSUER is set: set METFORWARD_OIDC_CLIENT_ID and METFORWARD_OIDC_CLIENT_SECRET "
                "(or METFORWARD_OIDC_CLIENT_SECRET_FILE) too",
                field="oidc_client_id",
            )
        roles = []
        for pair in filter(None, (p.strip() for p in get("ROLES").split(","))):
            value, sep, role = pair.rpartition("=")
            if not sep or not value.strip() or not role.strip():
                raise BadRequest(
                    f"METFORWARD_OIDC_ROLES: {pair!r} is not VALUE=ROLE (e.g. council-staff=borough)",
                    field="oidc_roles",
                )
            roles.append((value.strip(), role.strip().lower()))
        scopes = tuple(get("SCOPES").split()) or cls.scopes
        if "openid" not in scopes:
            scopes = ("openid", *scopes)
        leeway = get("LEEWAY") or "60"
        if not leeway.isdigit():
            raise BadRequest(f"METFORWARD_OIDC_LEEWAY={leeway!r} is not a number of seconds", field="oidc_leeway")
        return cls(
            issuer=issuer,
            client_id=get("CLIENT_ID"),
            client_secret=secret,
            name=get("NAME") or cls.name,
            scopes=scopes,
            role_claim=get("ROLE_CLAIM") or cls.role_claim,
            roles=tuple(roles),
            boroughs_claim=get("BOROUGHS_CLAIM") or cls.boroughs_claim,
            leeway=int(leeway),
        )


@dataclass(frozen=True)
class Settings:
    """Explicit settings, built once by a face and passed down (no import-time globals)."""

    db_path: Path
    #: Web app: an optional raster tile URL template (``https://.../{z}/{x}/{y}.png``) drawn under the
    #: map explorer's boundaries. None (the default) keeps every request on the app's own origin.
    tile_url: str | None = None
    #: Web app: how many read-only store connections serve requests at once.
    pool_size: int = 16
    #: Web app: the targets file whose verdicts the pages and /api/v1/targets show (None: no targets).
    targets_file: Path | None = None
    #: Web app: the public address absolute links (the API's paging ``next``) are built on, e.g.
    #: ``https://figures.example.org``; never the request's Host header. None: links are relative.
    base_url: str | None = None
    #: The records database (the write side: accounts, sessions, audit, restricted records), a SQLAlchemy
    #: URL (``sqlite:///path`` or ``postgresql+psycopg://user@host/db``). None: :attr:`records` is a SQLite
    #: file beside the store.
    records_url: str | None = None
    #: Web app: single sign-on with an OpenID Connect provider (None: password sign-in only).
    oidc: OidcSettings | None = None
    #: Alerts of the registers by email (``metforward records alerts --send``): the SMTP server (None: no
    #: email), its port, the sender, the account to sign in with (its password only from
    #: ``METFORWARD_SMTP_PASSWORD``, never here), and whether to upgrade to TLS (STARTTLS) first.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "metforward@localhost"
    smtp_user: str | None = None
    smtp_starttls: bool = False

    @property
    def records(self) -> str:
        """The records database's URL: :attr:`records_url`, or ``sqlite:///<store>.records.sqlite`` beside the
        store (``metforward.duckdb`` -> ``metforward.records.sqlite``)."""
        if self.records_url:
            return self.records_url
        return f"sqlite:///{self.db_path.with_suffix('.records.sqlite')}"

    @property
    def records_key_file(self) -> Path:
        """Where the records' secret key is kept when ``METFORWARD_RECORDS_KEY`` is not set: beside the store."""
        return self.db_path.with_suffix(".records.key")

    #: Web app: the basket file of the overview's "Results so far" (docs/baskets.md; None: the built-in
    #: results-so-far, the MPA newsletter's eleven lines).
    basket_file: Path | None = None

    @property
    def personal_key_file(self) -> Path:
        """Where the personal data key (:mod:`metforward.records.personal`) is kept when
        ``METFORWARD_PERSONAL_KEY`` is not set: beside the store, apart from the records key."""
        return self.db_path.with_suffix(".personal.key")

    @classmethod
    def from_env(cls, db: str | None = None, records: str | None = None) -> Settings:
        """Build settings from explicit values, then ``METFORWARD_DB``, ``METFORWARD_TILE_URL``,
        ``METFORWARD_TARGETS``, ``METFORWARD_BASE_URL``, ``METFORWARD_RECORDS_URL``, ``METFORWARD_BASKET``,
        ``METFORWARD_OIDC_*`` (:meth:`OidcSettings.from_env`), and the ``METFORWARD_SMTP_HOST``, ``_PORT``,
        ``_SENDER``, ``_USER`` and ``_STARTTLS`` (1) of alert emails, then defaults."""
        return cls(
            records_url=records or os.environ.get("METFORWARD_RECORDS_URL") or None,
            db_path=Path(db or os.environ.get("METFORWARD_DB") or DEFAULT_DB),
            tile_url=os.environ.get("METFORWARD_TILE_URL") or None,
            targets_file=Path(os.environ["METFORWARD_TARGETS"]) if os.environ.get("METFORWARD_TARGETS") else None,
            base_url=os.environ.get("METFORWARD_BASE_URL") or None,
            basket_file=Path(os.environ["METFORWARD_BASKET"]) if os.environ.get("METFORWARD_BASKET") else None,
            oidc=OidcSettings.from_env(),
            smtp_host=os.environ.get("METFORWARD_SMTP_HOST") or None,
            smtp_port=int(os.environ.get("METFORWARD_SMTP_PORT") or 25),
            smtp_sender=os.environ.get("METFORWARD_SMTP_SENDER") or "metforward@localhost",
            smtp_user=os.environ.get("METFORWARD_SMTP_USER") or None,
            smtp_starttls=os.environ.get("METFORWARD_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )
