"""Whole model rows read by a hand-written statement, turned back into instances as the ORM would.

A few statements run so often (the acting posts on every staff request, routing on every new
appeal) that building them through the ORM each time costs more than running them. They are
written once per database from the models' metadata: `RowShape` names every concrete column of
each model side by side, and `instances` applies the backend's converters (SQLite's dates, for
one) and `Model.from_db`, so the instances are the ones a queryset would have given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model


@dataclass(frozen=True)
class RowShape:
    columns: str  # "p.col, p.col2, r.col, …", quoted for the database
    # model, attnames, its first column, where its primary key is among its attnames
    parts: tuple[tuple[type[Model], tuple[str, ...], int, int], ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # column, converters, expression
    width: int  # columns in all

    def instances(
        self, row: Sequence[Any], connection: BaseDatabaseWrapper, start: int = 0
    ) -> list[Model | None]:
        """One instance per model of the shape, from `row[start:start + width]`; None for a model
        whose primary key is NULL there (the far side of an outer join that found nothing)."""
        values = list(row[start : start + self.width])
        for pos, found, expression in self.converters:
            value = values[pos]
            for convert in found:
                value = convert(value, expression, connection)
            values[pos] = value
        out: list[Model | None] = []
        for model, names, first, pk_at in self.parts:
            chunk = values[first : first + len(names)]
            out.append(
                None if chunk[pk_at] is None else model.from_db(connection.alias, names, chunk)
            )
        return out


def row_shape(connection: BaseDatabaseWrapper, *models: tuple[type[Model], str]) -> RowShape:
    """The shape of `models` read side by side, each `(model, table alias in the statement)`."""
    qn = connection.ops.quote_name
    columns: list[str] = []
    parts = []
    converters = []
    for model, table_alias in models:
        fields = model._meta.concrete_fields
        names = tuple(f.attname for f in fields)
        parts.append((model, names, len(columns), names.index(model._meta.pk.attname)))
        for f in fields:
            col = f.get_col(table_alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((len(columns), tuple(found), col))
            columns.append(f"{table_alias}.{qn(f.column)}")
    return RowShape(", ".join(columns), tuple(parts), tuple(converters), len(columns))
