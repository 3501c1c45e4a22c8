"""The records database's Alembic migrations, run by :mod:`metforward.records.migrate` (no alembic.ini).

A new migration: copy the newest file in ``versions/``, set ``revision`` (the next number) and
``down_revision`` (the newest's), and write ``upgrade()`` and ``downgrade()`` with ``alembic.op``.
"""
