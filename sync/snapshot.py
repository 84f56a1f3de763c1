"""
Replace an org's stored components with a complete set read from Salesforce.

Rows are upserted in batches and the components no longer in the org are
removed afterwards, all in one transaction: a reader sees the previous
snapshot or the new one, never a mix. Each batch costs a fixed number of
queries (one read of the rows it replaces, one bulk upsert), whatever the
number of components.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.dateparse import parse_datetime

from sync.models import Component

BATCH_SIZE = 1000
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
    """Store ``rows`` as ``org``'s components, read by ``run``; count changes."""
    counts = SnapshotCounts()
    with transaction.atomic():
        # Keyed by API name: a row read twice must not reach one INSERT twice,
        # which PostgreSQL refuses in an ON CONFLICT DO UPDATE.
        batch = {}
        batch_type = None
        for row in rows:
            if batch and (len(batch) >= BATCH_SIZE or batch_type != row["type"]):
                _store_batch(org, list(batch.values()), counts)
                batch = {}
            batch_type = row["type"]
            batch[row["api_name"]] = _component(org, run, row)
        if batch:
            _store_batch(org, list(batch.values()), counts)

        gone = Component.objects.filter(org=org).exclude(sync_run=run)
        _total, per_model = gone.delete()
        counts.removed = per_model.get(Component._meta.label, 0)
    return counts


def _component(org, run, row):
    return Component(
        org=org,
        sync_run=run,
        **{
            **row,
            "created_date": _datetime(row["created_date"]),
            "last_modified_date": _datetime(row["last_modified_date"]),
        },
    )


def _datetime(value):
    return parse_datetime(value) if value else None


def _store_batch(org, batch, counts):
    """Upsert one batch of components of a single type."""
    previous = {
        api_name: (content_hash, modified)
        for api_name, content_hash, modified in Component.objects.filter(
            org=org, type=batch[0].type, api_name__in=[c.api_name for c in batch]
        ).values_list("api_name", "content_hash", "last_modified_date")
    }
    for component in batch:
        if component.api_name not in previous:
            counts.added += 1
        elif has_changed(
            *previous[component.api_name],
            component.content_hash,
            component.last_modified_date,
        ):
            counts.changed += 1
        else:
            counts.unchanged += 1

    Component.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["org", "type", "api_name"],
        update_fields=UPSERT_FIELDS,
    )
