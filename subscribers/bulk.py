"""Inserting a batch of rows quickly on both backends.

SQLite: SQLAlchemy's multi-row VALUES pages ("insertmanyvalues", via unordered RETURNING).
PostgreSQL: one short ``INSERT … SELECT FROM unnest(array, array, …)`` per batch, with one
array parameter per column: the statement text stays small (psycopg parses and the server
plans it once per batch) however many rows go in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Integer, Table, insert

from subscribers.models import UtcDateTime


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
        else:
            sql_type, select = "text", f"c{index}"
        params[f"c{index}"] = values
        arrays.append(f"%(c{index})s::{sql_type}[]")
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
