"""
Read an org's components through the Tooling API, page by page.

``read_components`` yields one plain dict per component, ready to store as a
``Component``: fully qualified API name, parent object, content hash and the
columns read. It holds one page of Salesforce's answer at a time plus the
custom object names, so memory does not grow with the size of the org.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from orgs.exceptions import InvalidResponse
from sync.component_types import COMPONENT_TYPES, ComponentType, Naming

logger = logging.getLogger(__name__)

CUSTOM_OBJECT_ID_PREFIX = "01I"
# EntityDefinition cannot page (no queryMore) and refuses OR, so custom
# object ids are looked up with IN lists short enough for one page and for a
# URL Salesforce accepts.
ENTITY_LOOKUP_CHUNK = 200
# Managed package Apex comes back with this literal instead of its source.
HIDDEN_SOURCE = "(hidden)"

ProgressCallback = Callable[[ComponentType, int, bool], None]


def content_hash(source: str | None) -> str | None:
    """Return the SHA-256 of ``source`` with line endings normalised."""
    if source is None or source == HIDDEN_SOURCE:
        return None
    normalised = source.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalised.encode()).hexdigest()


def qualified_name(namespace: str | None, name: str) -> str:
    return f"{namespace}__{name}" if namespace else name


def is_custom_object_id(value: str | None) -> bool:
    return (
        bool(value)
        and value.startswith(CUSTOM_OBJECT_ID_PREFIX)
        and len(value) in (15, 18)
        and value.isalnum()
    )


def soql_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


class ObjectNames:
    """Custom object ids resolved to API names and labels via EntityDefinition.

    Ids are compared by their first 15 characters: Salesforce may give the
    same id in its 15- or 18-character form in different places.
    """

    def __init__(self, client):
        self.client = client
        self._entities = {}
        self._looked_up = set()

    def load(self, values: Iterable[str]):
        """Look up, in as few queries as possible, the ids not yet known."""
        missing = sorted(
            {
                value
                for value in values
                if is_custom_object_id(value) and value[:15] not in self._looked_up
            }
        )
        for start in range(0, len(missing), ENTITY_LOOKUP_CHUNK):
            self._lookup(missing[start : start + ENTITY_LOOKUP_CHUNK])

    def name(self, value: str | None) -> str | None:
        """Return an object's API name from an 01I id or a standard name."""
        if not is_custom_object_id(value):
            return value or None
        api_name, _label = self._entities.get(value[:15], (None, ""))
        return api_name

    def label(self, value: str | None) -> str:
        _api_name, label = self._entities.get((value or "")[:15], (None, ""))
        return label

    def _lookup(self, ids):
        # Both id forms go in the list: which one DurableId holds is not
        # documented, and an id that matches neither is simply not returned.
        forms = {form for value in ids for form in (value[:15], value)}
        in_list = ", ".join(soql_string(form) for form in sorted(forms))
        # Only alphanumeric ids (is_custom_object_id), quoted and escaped.
        select = "SELECT DurableId, QualifiedApiName, Label FROM EntityDefinition"
        soql = f"{select} WHERE DurableId IN ({in_list})"
        for entity in self.client.query(soql, tooling=True):
            durable_id = entity.get("DurableId") or ""
            api_name = entity.get("QualifiedApiName")
            if api_name and is_custom_object_id(durable_id):
                self._entities[durable_id[:15]] = (api_name, entity.get("Label") or "")
        self._looked_up.update(value[:15] for value in ids)


def read_components(
    client, on_progress: ProgressCallback | None = None
) -> Iterator[dict]:
    """Yield every component of every type in the client's org."""
    names = ObjectNames(client)
    for component_type in COMPONENT_TYPES:
        read = 0
        for page in client.query_pages(component_type.soql, tooling=True):
            records = page.get("records")
            if not isinstance(records, list):
                raise InvalidResponse(
                    f"Salesforce's answer for {component_type.label} had no list "
                    "of records."
                )
            names.load(_object_references(component_type, records))
            for record in records:
                row = build_row(component_type, record, names)
                if row is not None:
                    yield row
            read += len(records)
            if on_progress:
                on_progress(component_type, read, False)
        if on_progress:
            on_progress(component_type, read, True)


def _object_references(component_type, records):
    if component_type.naming is Naming.ENTITY:
        field = "Id"
    elif component_type.parent_field:
        field = component_type.parent_field
    else:
        return []
    return [record.get(field) for record in records if isinstance(record, dict)]


def build_row(component_type: ComponentType, record: dict, names: ObjectNames):
    """Return a component's stored fields, or None when it cannot be named.

    The returned ``raw`` is ``record`` itself, trimmed.
    """
    if not isinstance(record, dict) or not record.get(component_type.name_field):
        raise InvalidResponse(
            f"Salesforce returned a {component_type.tooling_object} row without "
            f"{component_type.name_field}."
        )
    namespace = record.get("NamespacePrefix") or ""
    parent = ""
    label = record.get(component_type.label_field) if component_type.label_field else ""
    if component_type.parent_field:
        parent = names.name(record.get(component_type.parent_field)) or ""

    api_name = _api_name(component_type, record, names, namespace, parent)
    if api_name is None:
        logger.warning(
            "Skipped %s %s: its object %s is not in EntityDefinition",
            component_type.tooling_object,
            record.get("Id"),
            record.get(component_type.parent_field or "Id"),
        )
        return None
    if component_type.naming is Naming.ENTITY:
        label = names.label(record.get("Id"))

    source = None
    if component_type.source_field:
        source = record.get(component_type.source_field)
    last_modified_by = record.get("LastModifiedBy") or {}
    return {
        "type": component_type.name,
        "api_name": api_name,
        "label": label or "",
        "salesforce_id": record.get("Id") or "",
        "namespace": namespace,
        "manageable_state": record.get("ManageableState") or "",
        "parent": parent,
        "api_version": _api_version(record.get("ApiVersion")),
        "status": _status(component_type, record),
        "is_valid": record.get("IsValid"),
        "created_date": _datetime(record.get("CreatedDate")),
        "last_modified_date": _datetime(record.get("LastModifiedDate")),
        "last_modified_by": last_modified_by.get("Name") or "",
        "content_hash": content_hash(source),
        "raw": _raw(component_type, record),
    }


def _api_name(component_type, record, names, namespace, parent):
    if component_type.naming is Naming.ENTITY:
        return names.name(record.get("Id"))
    name = record[component_type.name_field]
    if component_type.naming is Naming.FIELD:
        if not parent:
            return None
        return f"{parent}.{qualified_name(namespace, name)}__c"
    return qualified_name(namespace, name)


def _datetime(value):
    """Parse a Salesforce timestamp such as ``2026-03-01T12:00:00.000+0000``."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise InvalidResponse(f"Salesforce sent {value!r} as a date.") from error


def _api_version(value) -> str:
    if value in (None, ""):
        return ""
    try:
        return f"{float(value):.1f}"
    except (TypeError, ValueError):
        return str(value)


def _status(component_type, record) -> str:
    if component_type.active_version_field:
        active = record.get(component_type.active_version_field)
        return "Active" if active else "Inactive"
    if component_type.status_field:
        return record.get(component_type.status_field) or ""
    return ""


def _raw(component_type, record) -> dict:
    """Strip Salesforce's ``attributes`` and the source off ``record``.

    The record is the page's own and read already, so it is reused rather
    than copied: at 50,000 components the copies were a visible cost.
    """
    record.pop("attributes", None)
    record.pop(component_type.source_field, None)
    for value in record.values():
        if isinstance(value, dict):
            value.pop("attributes", None)
    return record
