"""Builders for components and the rows a refresh reads, for sync tests."""

from datetime import UTC, datetime

from sync.models import Component

MODIFIED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_component(org, api_name="InvoiceService", **overrides) -> Component:
    fields = {
        "type": "ApexClass",
        "label": "",
        "salesforce_id": "01p5g00000Abc12AAA",
        "manageable_state": "unmanaged",
        "last_modified_date": MODIFIED,
        "content_hash": None,
        "raw": {},
    }
    fields.update(overrides)
    return Component.objects.create(org=org, api_name=api_name, **fields)


def make_row(api_name="InvoiceService", **overrides) -> dict:
    """Return a component as ``sync.fetch.read_components`` yields it."""
    row = {
        "type": "ApexClass",
        "api_name": api_name,
        "label": "",
        "salesforce_id": "01p5g00000Abc12AAA",
        "namespace": "",
        "manageable_state": "unmanaged",
        "parent": "",
        "api_version": "66.0",
        "status": "Active",
        "is_valid": True,
        "created_date": datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        "last_modified_date": MODIFIED,
        "last_modified_by": "Olivia Admin",
        "content_hash": "a" * 64,
        "raw": {"Name": api_name},
    }
    row.update(overrides)
    return row
