"""
Replace an org's stored components with a complete set read from Salesforce.

Rows are upserted in batches and the components no longer in the org are
removed afterwards, all in one transaction: a reader sees the previous
snapshot or the new one, never a mix. Each batch of 1,000 costs a fixed
number of statements (a read of the rows it replaces, then multi-row upserts:
one on PostgreSQL, eighteen on SQLite), whatever the size of the org.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction

from sync.models import Component

BATCH_SIZE = 1000
KEY_FIELDS = ["org", "type", "api_name"]
UPSERT_FIELDS = [
    "label",
    "salesforce_id",
    "namespace",
    "manageable_state",
    "parent",
    "api_version",
    "status",
    "is_valid",
    "created_date",
    "last_modified_date",
    "last_modified_by",
    "content_hash",
    "raw",
    "sync_run",
]


@dataclass
class SnapshotCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


def has_changed(old_hash, old_modified, new_hash, new_modified) -> bool:
    """Say whether a component differs from another version of itself.

    Source hashes decide when both sides have one; otherwise the last
    modification date does. ``sync.compare`` applies the same rule in SQL.
    """
    if old_hash is not None and new_hash is not None:
        return old_hash != new_hash
    return old_modified != new_modified


def replace_snapshot(org, run, rows: Iterable[dict]) -> SnapshotCounts:
    """Store ``rows`` as ``org``'s components, read by ``run``; count changes.

    ``rows`` are dicts as ``sync.fetch.read_components`` yields them, grouped
    by type.
    """
    counts = SnapshotCounts()
    with transaction.atomic():
        # Keyed by API name: a row read twice is stored once.
        batch = {}
        batch_type = None
        for row in rows:
            if batch and (len(batch) >= BATCH_SIZE or batch_type != row["type"]):
                _store_batch(org, run, list(batch.values()), counts)
                batch = {}
            batch_type = row["type"]
            batch[row["api_name"]] = row
        if batch:
            _store_batch(org, run, list(batch.values()), counts)

        gone = Component.objects.filter(org=org).exclude(sync_run=run)
        _total, per_model = gone.delete()
        counts.removed = per_model.get(Component._meta.label, 0)
    return counts


def _store_batch(org, run, rows, counts):
    """Count and upsert one batch of rows of a single type."""
    stored = Component.objects.filter(
        org=org, type=rows[0]["type"], api_name__in=[row["api_name"] for row in rows]
    )
    previous = {
        api_name: (content_hash, modified)
        for api_name, content_hash, modified in stored.values_list(
            "api_name", "content_hash", "last_modified_date"
        )
    }
    for row in rows:
        if row["api_name"] not in previous:
            counts.added += 1
        elif has_changed(
            *previous[row["api_name"]], row["content_hash"], row["last_modified_date"]
        ):
            counts.changed += 1
        else:
            counts.unchanged += 1

    _upsert(org.pk, run.pk, rows)


def _upsert(org_id, run_id, rows):
    """Insert or update ``rows`` in a few statements.

    Written in SQL rather than with ``bulk_create(update_conflicts=True)``:
    the ORM, and the PostgreSQL driver after it, handle every value of every
    row in Python, which took several times as long as the whole fetch on a
    50,000-component org. ``INSERT ... ON CONFLICT ... DO UPDATE`` is the
    statement the ORM sends too, on PostgreSQL and SQLite alike.
    """
    fields = [Component._meta.get_field(name) for name in (*KEY_FIELDS, *UPSERT_FIELDS)]
    records = [{**row, "org_id": org_id, "sync_run_id": run_id} for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The batch travels as one JSON document that PostgreSQL unpacks.
            document = json.dumps(records, default=_isoformat)
            cursor.execute(_upsert_sql(fields, _from_json(fields)), [document])
            return

        operations = connection.ops
        values = [
            [_adapt(operations, field, record[field.column]) for field in fields]
            for record in records
        ]
        per_statement = operations.bulk_batch_size(fields, values)
        row = f"({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            rows_sql = f"VALUES {', '.join([row] * len(chunk))}"
            parameters = [value for row in chunk for value in row]
            cursor.execute(_upsert_sql(fields, rows_sql), parameters)


def _adapt(operations, field, value):
    if isinstance(field, models.DateTimeField):
        return operations.adapt_datetimefield_value(value)
    if isinstance(field, models.JSONField):
        return operations.adapt_json_value(value, None)
    return value


def _isoformat(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _from_json(fields):
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    record = ", ".join(
        f"{quote(field.column)} {field.db_type(connection)}" for field in fields
    )
    return f"SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS incoming({record})"  # noqa: S608


def _upsert_sql(fields, rows_sql):
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    keys = ", ".join(columns[: len(KEY_FIELDS)])
    updates = ", ".join(
        f"{column} = excluded.{column}" for column in columns[len(KEY_FIELDS) :]
    )
    return (
        f"INSERT INTO {quote(Component._meta.db_table)} ({', '.join(columns)}) "
        f"{rows_sql} ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )
