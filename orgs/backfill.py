"""Deciding the client ID of legacy orgs saved before Ferry stored one."""

from dataclasses import dataclass

from django.conf import settings

from orgs.connected_apps import get_registry

FROM_MAP = "named in the backfill map"
FROM_SOLE_APP = "the only configured connected app"


@dataclass(frozen=True)
class Decision:
    client_id: str
    reason: str


def offline_decision(org_id, mapping=None, registry=None) -> Decision | None:
    """Decide a legacy org's client ID without asking Salesforce.

    An explicit ``org_id=client_id`` pair wins. Otherwise, when exactly one
    connected app is configured, every org can only have come through it.
    Anything else stays undecided: guessing would break the org's refresh.
    """
    if mapping is None:
        mapping = settings.SALESFORCE_CLIENT_ID_BACKFILL
    if registry is None:
        registry = get_registry()

    client_id = _lookup(mapping, org_id)
    if client_id:
        return Decision(client_id, FROM_MAP)

    client_ids = registry.distinct_client_ids
    if len(client_ids) == 1:
        return Decision(client_ids[0], FROM_SOLE_APP)

    return None


def _lookup(mapping, org_id):
    # Operators may paste 15- or 18-character ids; both name the same org.
    for key, client_id in mapping.items():
        if key.strip()[:15] == org_id[:15]:
            return client_id.strip()
    return None
