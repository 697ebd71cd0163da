"""Statements the ORM compiles once per process, for the queries every page runs with only one id
changing (the viewer's groups, their tiers): building such a query costs more CPU than running it.

    MEMBER_GROUPS = CompiledQuery(lambda user_id: GroupMembership.objects.filter(user_id=user_id)...)
    rows = MEMBER_GROUPS.rows(user.pk)

``build`` returns the queryset for an id; it is called once per database kind with a stand-in id,
whose place among the compiled parameters then takes the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STAND_IN = -7_654_321  # the id the statement is compiled with; no row ever has it


class CompiledQuery:
    def __init__(self, build: Callable[[int], Any]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, tuple[Any, ...]]] = {}

    def _statement(self, vendor: str) -> tuple[str, tuple[Any, ...]]:
        if vendor not in self._compiled:
            sql, params = self._build(STAND_IN).query.sql_with_params()
            if STAND_IN not in params:
                raise RuntimeError("the id is missing from the compiled statement's parameters")
            self._compiled[vendor] = (sql, tuple(params))
        return self._compiled[vendor]

    def rows(self, value: int) -> list[tuple[Any, ...]]:
        """The statement's rows for ``value`` in place of the stand-in id."""
        from django.db import connection

        sql, params = self._statement(connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, [value if p == STAND_IN else p for p in params])
            return cursor.fetchall()
