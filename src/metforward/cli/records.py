"""``metforward records ...``: the records database (the write side): migrations, backups, restores.

Every records command (here, in ``users`` and in ``audit``) declares what it needs with :func:`needs`,
which opens the records database (checked against the code's migrations), finds who is acting (the
operator, an administrator named ``cli:LOGIN``, or the account given with ``metforward --as EMAIL``) and
asks the one access rule before the command runs. ``tests/cli/test_records.py`` runs every command so
marked as the wrong people.
"""

from __future__ import annotations

import functools
import getpass
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from metforward.errors import Forbidden
from metforward.records import accounts, audit, backup, migrate, personal
from metforward.records.access import Action, Principal, operator, require
from metforward.records.db import Database, shown
from metforward.records.keys import Keys, load

F = TypeVar("F", bound=Callable[..., Any])
#: The attribute :func:`needs` sets on a command: the action it needs.
ACCESS = "__records_access__"


@dataclass
class Opened:
    """What a records command works with: the database, who is acting, and (on demand) the keys."""

    database: Database
    principal: Principal
    key_file: Path

    @functools.cached_property
    def keys(self) -> Keys:
        return load(self.key_file)


def acting(ctx: typer.Context, database: Database) -> Principal:
    """Who runs the command: the account of ``--as``, else the operator."""
    host = socket.gethostname()
    login = getpass.getuser()
    if ctx.obj.acting_as:
        return accounts.principal_as(database, ctx.obj.acting_as, f"cli:{login}@{host}")
    return operator(login, host)


def needs(action: Action, *, migrated: bool = True) -> Callable[[F], F]:
    """Mark a command as touching records with ``action``: before it runs, the records database is opened
    (and, when ``migrated``, checked to be at the code's migrations), the acting principal found, and the
    access rule asked. The command reads them with :func:`opened`."""

    def mark(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            ctx = kwargs["ctx"]
            settings = ctx.obj.settings
            if migrated:
                database = migrate.open_database(settings.records)
            else:
                database = Database(settings.records)
                if ctx.obj.acting_as:  # accounts are found in a database that is set up
                    migrate.check(database)
            ctx.call_on_close(database.close)
            database.personal = personal.lazy(settings.personal_key_file)
            who = acting(ctx, database)
            try:
                principal = require(who, action)
            except Forbidden:
                if migrated:
                    audit.refused(database, who, f"metforward {ctx.command_path.split(' ', 1)[-1]}", action, None)
                raise
            ctx.obj.records = Opened(database, principal, settings.records_key_file)
            return command(*args, **kwargs)

        setattr(run, ACCESS, action)
        return run  # type: ignore[return-value]

    return mark


def opened(ctx: typer.Context) -> Opened:
    found: Opened = ctx.obj.records
    return found


app = typer.Typer(help="The records database (accounts, audit, restricted records): migrations and backups.")


@app.command(name="upgrade")
@needs(Action.ADMIN, migrated=False)
def upgrade(ctx: typer.Context) -> None:
    """Create the records database, or bring it up to this version's migrations (back it up first)."""
    done = migrate.upgrade(opened(ctx).database)
    if not done.changed:
        typer.echo(f"{done.url}: already up to date (migration {done.after})")
    else:
        typer.echo(
            f"{done.url}: {'created at' if done.before is None else f'upgraded from {done.before} to'} migration {done.after}"
        )


@app.command(name="backup")
@needs(Action.ADMIN)
def backup_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
) -> None:
    """Write a consistent backup of the records database while it is in use (SQLite: the online backup
    API; PostgreSQL: pg_dump). The records key is not in it: keep that apart."""
    work = opened(ctx)
    done = backup.backup(work.database, work.principal, path)
    typer.echo(f"{done.path}: {done.size:,} bytes, {done.backend}, audit log to row {done.audit_rows}")


@app.command(name="restore")
@needs(Action.ADMIN, migrated=False)
def restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup written by `metforward records backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the database's contents without asking.")] = False,
) -> None:
    """Replace the records database's contents with a backup, then bring it up to this version's migrations."""
    work = opened(ctx)
    if not yes:
        typer.confirm(f"Replace everything in {shown(work.database.url)} with {path}?", abort=True)
    done = backup.restore(work.database, work.principal, path)
    typer.echo(f"restored {path} into {done.url} (migration {done.after})")


@app.command(name="rotate-key")
@needs(Action.ADMIN)
def rotate_key(ctx: typer.Context) -> None:
    """Encrypt every personal field again under a new personal data key and recompute every blind index;
    the old key then opens nothing. Back up first; run it again if it stops half-way."""
    work = opened(ctx)
    done = personal.rotate(work.database, ctx.obj.settings.personal_key_file, who=work.principal)
    rows = ", ".join(f"{table} {count:,}" for table, count in done.rows.items()) or "no rows"
    typer.echo(f"re-encrypted under key {done.new_key_id} ({rows}); the new key is in {done.key_at}")


@app.command(name="alerts")
@needs(Action.READ)
def alerts_command(
    ctx: typer.Context,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Email each alert not sent before to its borough's accounts (SMTP: METFORWARD_SMTP_HOST and its "
            "settings; administrators only). For cron.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The alerts as JSON.")] = False,
) -> None:
    """The orders register's alerts: orders expiring within 28 days, breaches of the last 28 days, and
    subjects with orders in two boroughs (the read audited)."""
    import datetime as dt
    import json
    import os

    from metforward.errors import OptionError
    from metforward.records import alerts

    work = opened(ctx)
    today = dt.date.today()
    if send:
        settings = ctx.obj.settings
        if not settings.smtp_host:
            raise OptionError(
                "--send needs an SMTP server: set METFORWARD_SMTP_HOST (and _PORT, _SENDER, _USER, _STARTTLS)",
                field="send",
            )
        mailer = alerts.Mailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            settings.smtp_user,
            os.environ.get("METFORWARD_SMTP_PASSWORD") or None,
            settings.smtp_starttls,
            settings.base_url,
        )
        done = alerts.send(work.database, work.principal, mailer, today)
        left = f"; {done.unaddressed} alerts of boroughs with no borough accounts not sent" if done.unaddressed else ""
        typer.echo(f"sent {done.alerts} alerts in {done.messages} messages{left}")
        return
    found = alerts.pending(work.database, work.principal, today)
    if as_json:
        keys = ("kind", "borough", "order_id", "message", "key")
        typer.echo(json.dumps([{k: getattr(a, k) for k in keys} for a in found], indent=2))
        return
    for alert in found:
        typer.echo(f"{alert.borough}  {alert.kind_name}: {alert.message}")
    typer.echo(f"{len(found)} alerts")


def register(root: typer.Typer) -> None:
    """Add the command group to ``root``."""
    root.add_typer(app, name="records")
