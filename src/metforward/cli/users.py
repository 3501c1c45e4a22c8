"""``metforward users ...``: accounts and their roles and boroughs (administrators only)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metforward.cli.records import needs, opened
from metforward.errors import OptionError
from metforward.records import accounts, boroughs
from metforward.records.access import Action, Role

app = typer.Typer(
    help="Accounts: add, list, disable, reset passwords, second factors. Roles: "
    + ", ".join(r.value for r in Role)
    + " (docs/records.md)."
)

ROLE_HELP = "admin (everything), analyst (reads every borough), borough (reads and changes its boroughs), partner (reads its boroughs)."


def _password(stdin: bool, prompt: bool = True) -> str | None:
    if stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise OptionError("--password-stdin: standard input held no password", field="password")
        return line
    if not prompt:
        return None
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


@app.command(name="add")
@needs(Action.ADMIN)
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address (its sign-in name).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    borough: Annotated[
        list[str] | None,
        typer.Option("--borough", help="A borough the role applies to (borough and partner roles; repeat for more)."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="The person's name, as pages show it.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the account signs in by single sign-on only.")
    ] = False,
) -> None:
    """Add an account (the password is asked for twice, hidden, unless --password-stdin or --no-password)."""
    work = opened(ctx)
    accounts.parse_role(role), accounts.normal_email(email)  # malformed values fail before a password is asked
    password = _password(password_stdin, prompt=not no_password)
    added = accounts.add_user(work.database, work.principal, email, role, borough or [], password, name)
    scope = ", ".join(boroughs.name(code) for code in added.boroughs) or "every borough"
    typer.echo(f"added {added.email}: {added.role} ({scope})")


@app.command(name="list")
@needs(Action.ADMIN)
def list_users(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on standard output.")] = False,
) -> None:
    """List the accounts: role, boroughs, enabled, second factor."""
    work = opened(ctx)
    found = accounts.list_users(work.database, work.principal)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "email": a.email,
                        "name": a.name,
                        "role": a.role.value,
                        "boroughs": list(a.boroughs),
                        "enabled": a.enabled,
                        "totp": a.totp,
                        "password": a.has_password,
                    }
                    for a in found
                ],
                indent=2,
            )
        )
        return
    table = Table("email", "name", "role", "boroughs", "enabled", "second factor", "password")
    for a in found:
        table.add_row(
            a.email,
            a.name,
            a.role.value,
            ", ".join(boroughs.name(code) for code in a.boroughs) or "all",
            "yes" if a.enabled else "no",
            "yes" if a.totp else "no",
            "yes" if a.has_password else "no",
        )
    Console().print(table)


@app.command(name="disable")
@needs(Action.ADMIN)
def disable(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account to disable (its sessions end at once).")],
) -> None:
    """Disable an account: it cannot sign in, and its sessions end."""
    work = opened(ctx)
    done = accounts.set_enabled(work.database, work.principal, email, False)
    typer.echo(f"disabled {done.email}")


@app.command(name="enable")
@needs(Action.ADMIN)
def enable(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account to enable again.")],
) -> None:
    """Enable a disabled account again."""
    work = opened(ctx)
    done = accounts.set_enabled(work.database, work.principal, email, True)
    typer.echo(f"enabled {done.email}")


@app.command(name="reset-password")
@needs(Action.ADMIN)
def reset_password(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account whose password to set.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
) -> None:
    """Set a new password: the account's sessions end and its sign-in lockout lifts."""
    work = opened(ctx)
    accounts.normal_email(email)
    password = _password(password_stdin)
    assert password is not None
    done = accounts.reset_password(work.database, work.principal, email, password)
    typer.echo(f"new password set for {done.email}; its sessions ended")


@app.command(name="totp")
@needs(Action.ADMIN)
def totp(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account whose second factor to set up.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take the second factor away instead.")] = False,
) -> None:
    """Set up a TOTP second factor (prints the otpauth:// URI to give the account's owner, once), or remove it."""
    work = opened(ctx)
    uri = accounts.set_totp(work.database, work.keys, work.principal, email, remove=remove)
    if uri is None:
        typer.echo(f"second factor removed from {email.strip().lower()}")
    else:
        typer.echo(uri)
        typer.echo("Give this to its owner privately (an authenticator app reads it; it is shown once).", err=True)


@app.command(name="require-totp")
@needs(Action.ADMIN)
def require_totp(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help="The role: admin, analyst, borough or partner.")],
    off: Annotated[bool, typer.Option("--off", help="Stop requiring it.")] = False,
) -> None:
    """Require a second factor of every account of a role at sign-in (or, with --off, stop)."""
    work = opened(ctx)
    accounts.require_totp(work.database, work.principal, role, not off)
    typer.echo(f"{role}: second factor {'not required' if off else 'required'} at sign-in")


def register(root: typer.Typer) -> None:
    """Add the command group to ``root``."""
    root.add_typer(app, name="users")
