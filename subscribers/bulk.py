"""Inserting, and looking up, a batch of rows quickly on both backends.

SQLite: SQLAlchemy's multi-row VALUES pages ("insertmanyvalues", via unordered RETURNING).
PostgreSQL: one short ``INSERT … SELECT FROM unnest(array, array, …)`` per batch, with one
array parameter per column: the statement text stays small (psycopg parses and the server
plans it once per batch) however many rows go in. Lookups of a batch's keys use
``= ANY(array)`` there for the same reason (:func:`member_of`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Date,
    Integer,
    Table,
    any_,
    bindparam,
    insert,
)
from sqlalchemy.dialects.postgresql import ARRAY

from subscribers.models import UtcDateTime

CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def chunked(values: Iterable[Any]) -> Iterable[list[Any]]:
    """The distinct values, sorted, in lists of at most ``CHUNK``."""
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (dicts with the same keys); the ``returning`` columns of each, unordered."""
    if not rows:
        return []
    if connection.dialect.name != "postgresql":
        columns = [table.c[name] for name in returning] or [next(iter(table.primary_key))]
        result = connection.execute(insert(table).returning(*columns), list(rows)).all()
        return [tuple(row) for row in result] if returning else []
    names = list(rows[0])
    params: dict[str, list[Any]] = {}
    arrays: list[str] = []
    selects: list[str] = []
    for index, name in enumerate(names):
        column_type = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(column_type, JSON):
            values = [json.dumps(value) for value in values]
            sql_type, select = "text", f"c{index}::json"
        elif isinstance(column_type, UtcDateTime):
            sql_type, select = "timestamptz", f"c{index}"
        elif isinstance(column_type, Integer):
            sql_type, select = "integer", f"c{index}"
        elif isinstance(column_type, Date):
            sql_type, select = "date", f"c{index}"
        else:
            sql_type, select = "text", f"c{index}"
        params[f"c{index}"] = values
        arrays.append(f"%(c{index})b::{sql_type}[]")  # binary: no per-item quoting scan
        selects.append(select)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(selects)} "
        f"FROM unnest({', '.join(arrays)}) AS t({', '.join(f'c{i}' for i in range(len(names)))})"
    )
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
        return [tuple(row) for row in connection.exec_driver_sql(sql, params).all()]
    connection.exec_driver_sql(sql, params)
    return []


def member_of(
    connection: Connection, column: ColumnElement[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:array)``, one parameter.

    An ``IN`` list of hundreds of parameters costs more to render and parse (SQLAlchemy, then
    psycopg) than the query takes to run.
    """
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)
