"""
What the wizard's first step shows per org, loaded in a fixed number of queries.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db.models import Count, OuterRef, Subquery

from sync.component_types import COMPONENT_TYPES
from sync.models import Component, SyncRun


@dataclass
class OrgCard:
    org: object
    run: SyncRun | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def type_counts(self):
        """Return (label, count) for every type, in reading order."""
        return [
            (component_type.label, self.counts.get(component_type.name, 0))
            for component_type in COMPONENT_TYPES
        ]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def instance_path(self) -> str:
        """Return the path of the org's instance URL, if it has one.

        Two orgs can share a host and differ only by path, so the host
        alone would make them look the same.
        """
        return urlsplit(self.org.instance_url).path.rstrip("/")

    @property
    def refreshed(self) -> bool:
        return self.org.last_synced_at is not None


def org_cards(orgs) -> list[OrgCard]:
    """Build the cards of ``orgs`` (a queryset) with their latest run.

    A latest run whose worker went away is marked failed on the way, so the
    card offers a new refresh instead of polling forever.
    """
    latest_run = SyncRun.objects.filter(org=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    orgs = list(orgs.annotate(latest_run_id=Subquery(latest_run.values("pk")[:1])))
    runs = SyncRun.objects.in_bulk(
        [org.latest_run_id for org in orgs if org.latest_run_id]
    )
    # An org's active run is always its latest: no run starts beside it.
    for run in runs.values():
        run.fail_if_stale()

    counts = {}
    rows = (
        Component.objects.filter(org__in=orgs)
        .order_by()
        .values_list("org_id", "type")
        .annotate(total=Count("pk"))
    )
    for org_id, component_type, total in rows:
        counts.setdefault(org_id, {})[component_type] = total

    return [
        OrgCard(org, runs.get(org.latest_run_id), counts.get(org.pk, {}))
        for org in orgs
    ]
