"""The embedded store: the only package that talks to the database engine."""

from metforward.store.database import Database

__all__ = ["Database"]
