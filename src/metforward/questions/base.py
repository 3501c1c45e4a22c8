"""What every question module declares: a :class:`Question` entry naming its query, its ``ask``, the
command and API route that show it, and an example that answers on the bundled sample (which the
parity test and the Python API's documentation use)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metforward.errors import BadRequest
from metforward.questions.answer import Answer
from metforward.store.database import Database
from metforward.store.queries import loads as load_queries


@dataclass(frozen=True)
class Question:
    """One question: ``query`` is its frozen Query dataclass (text options, defaults), ``ask(db, query)``
    answers it. ``command`` is the CLI words (``("compare",)``), ``route`` the path under ``/api/v1``
    (None: no API route), ``example`` options that answer on the bundled sample, and ``options`` maps a
    query field to its CLI option where the names differ (``{"kind": "--datastore-kind"}``; ``""``: a
    positional argument), and ``columns`` the keys of its items. ``version(query)``, where given, is the
    version of what an answer rests on besides the store (a targets file's modification time): caches of
    answers key on it too."""

    name: str
    query: type[Any]
    ask: Callable[[Database, Any], Answer]
    command: tuple[str, ...]
    route: str | None
    summary: str
    example: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    #: The keys of each item, in order (documented in docs/reference/json.md).
    columns: tuple[str, ...] = ()
    version: Callable[[Any], Hashable] | None = None

    def build(self, **options: Any) -> Any:
        """The Query from keyword options (None values dropped, so the Query's defaults apply);
        :class:`BadRequest` for an option the question does not have."""
        names = {f.name for f in dataclasses.fields(self.query)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise BadRequest(
                f"{self.name} has no option {', '.join(unknown)}; it has: {', '.join(sorted(names))}", field=unknown[0]
            )
        return self.query(**{k: v for k, v in options.items() if v is not None})


def loads_used(db: Database, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """The live loads of ``kinds`` an answer rests on, for its ``meta["loads"]`` (see
    :func:`metforward.store.queries.loads.loads_used`)."""
    return load_queries.loads_used(db, kinds)
