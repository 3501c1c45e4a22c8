"""The write side: accounts, roles by borough, sessions, restricted records and the audit log, in an
operational database apart from the DuckDB store (SQLAlchemy 2 over SQLite or PostgreSQL, with Alembic
migrations shipped in :mod:`metforward.records.migrations`).

Faces (cli, web) call the services here (:mod:`.accounts`, :mod:`.sessions`, :mod:`.audit`,
:mod:`.contacts`, :mod:`.backup`); every service that touches a record asks the one access rule,
:func:`metforward.records.access.require`, and writes the audit log in the same transaction. Only this
package imports SQLAlchemy; it imports nothing of metforward but the domain (and the shared settings
and errors).
"""
