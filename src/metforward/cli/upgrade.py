"""``metforward upgrade``: bring a store up to date (migrations, counts cubes) so read commands need no write access."""

from __future__ import annotations

import typer

from metforward.store import access


def upgrade(ctx: typer.Context) -> None:
    """Apply this version's store migrations and rebuild stale counts cubes (a writer: takes the store's lock).

    Loads do this themselves when they finish; run it after a load was stopped part-way, after
    upgrading metforward, or before making a store read-only for other users.
    """
    state = ctx.obj
    changed = access.upgrade(
        state.settings.db_path, wait=state.wait, notice=lambda message: typer.echo(message, err=True)
    )
    typer.echo(f"{state.settings.db_path}: {'brought up to date' if changed else 'already up to date'}")


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command()(upgrade)
