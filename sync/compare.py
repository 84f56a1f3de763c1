"""
Compare a plan's source org with its target org, in the database.

``comparison`` returns one queryset over the components of both orgs: every
source component, annotated with its status against the target, plus the
target components the source lacks. Filtering, counting and paginating it all
happen in SQL, so the cost does not depend on Python looping over an org.
"""

from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from sync.component_types import COMPONENT_TYPES
from sync.models import MANAGED_STATES, Component


class Basis:
    """How a component that exists in both orgs was compared."""

    CONTENT = "content"
    # No source hash on one side or both: the type has no source in the
    # Tooling API, or Salesforce hides a managed package's.
    DATE = "date"
    NONE = ""


class Status:
    NEW = "new"
    CHANGED = "changed"
    IDENTICAL = "identical"
    ONLY_IN_TARGET = "only_in_target"

    CHOICES = [
        (NEW, "New"),
        (CHANGED, "Changed"),
        (IDENTICAL, "Identical"),
        (ONLY_IN_TARGET, "Only in target"),
    ]
    LABELS = dict(CHOICES)


# For the page's legend: the types with a source hash to compare.
BY_CONTENT = [t.label for t in COMPONENT_TYPES if t.source_field]
BY_DATE = [t.label for t in COMPONENT_TYPES if not t.source_field]


def comparison(plan) -> QuerySet:
    """Return both orgs' components annotated with ``compare_status``.

    ``compared_by`` says what decided the status of a component present in
    both orgs: its source hash or, lacking one, its last-modified date.
    """
    source, target = plan.source_org_id, plan.target_org_id
    counterpart = Component.objects.filter(
        org=OuterRef("other_org"), type=OuterRef("type"), api_name=OuterRef("api_name")
    )
    both_hashed = Q(content_hash__isnull=False, other_hash__isnull=False)
    # The rule of sync.snapshot.has_changed: source hashes decide when both
    # sides have one, the last modification date otherwise.
    status = Case(
        When(org=target, then=Value(Status.ONLY_IN_TARGET)),
        When(other_pk__isnull=True, then=Value(Status.NEW)),
        When(
            both_hashed & Q(content_hash=F("other_hash")), then=Value(Status.IDENTICAL)
        ),
        When(both_hashed, then=Value(Status.CHANGED)),
        When(last_modified_date=F("other_modified"), then=Value(Status.IDENTICAL)),
        default=Value(Status.CHANGED),
        output_field=CharField(),
    )
    return (
        Component.objects.filter(org__in=[source, target])
        .annotate(
            other_org=Case(When(org=source, then=Value(target)), default=Value(source)),
            other_pk=Subquery(counterpart.values("pk")[:1]),
            other_hash=Subquery(counterpart.values("content_hash")[:1]),
            other_modified=Subquery(counterpart.values("last_modified_date")[:1]),
        )
        # Target components with a source counterpart appear as that row.
        .filter(Q(org=source) | Q(other_pk__isnull=True))
        .annotate(
            compare_status=status,
            compared_by=Case(
                When(org=target, then=Value(Basis.NONE)),
                When(other_pk__isnull=True, then=Value(Basis.NONE)),
                When(both_hashed, then=Value(Basis.CONTENT)),
                default=Value(Basis.DATE),
                output_field=CharField(),
            ),
        )
        .order_by("type", "api_name", "org_id")
    )


def filtered(queryset, *, component_type="", status="", search=""):
    """Narrow a comparison by type, status and a search on name or label."""
    if component_type:
        queryset = queryset.filter(type=component_type)
    if status:
        queryset = queryset.filter(compare_status=status)
    if search:
        queryset = queryset.filter(
            Q(api_name__icontains=search) | Q(label__icontains=search)
        )
    return queryset


@dataclass(frozen=True)
class StatusCount:
    total: int = 0
    # Rows a plan can select: the source's own, outside managed packages.
    selectable: int = 0


def status_counts(queryset) -> dict[str, StatusCount]:
    """Count a comparison's rows per status, every status present."""
    counts = dict.fromkeys(Status.LABELS, StatusCount())
    selectable = ~Q(compare_status=Status.ONLY_IN_TARGET) & ~Q(
        manageable_state__in=MANAGED_STATES
    )
    rows = (
        queryset.order_by()
        .values("compare_status")
        .annotate(total=Count("pk"), selectable=Count("pk", filter=selectable))
    )
    for row in rows:
        counts[row["compare_status"]] = StatusCount(row["total"], row["selectable"])
    return counts


def selectable_count(counts, status="") -> int:
    """Return how many rows of ``status`` (any, if empty) can be selected."""
    return sum(
        count.selectable
        for counted, count in counts.items()
        if not status or counted == status
    )


@dataclass
class Row:
    status: str
    source: Component | None
    target: Component | None
    selected: bool = False
    compared_by: str = Basis.NONE

    @property
    def component(self) -> Component:
        return self.source or self.target

    @property
    def status_label(self) -> str:
        return Status.LABELS[self.status]

    @property
    def compared_by_date(self) -> bool:
        return self.compared_by == Basis.DATE

    @property
    def selectable(self) -> bool:
        return self.source is not None and not self.source.is_managed


def page_rows(plan, components) -> list[Row]:
    """Pair a page of a comparison with the target side and the selection."""
    components = list(components)
    counterpart_ids = [
        component.other_pk
        for component in components
        if component.org_id == plan.source_org_id and component.other_pk
    ]
    targets = Component.objects.in_bulk(counterpart_ids)
    selected = set(
        plan.planned.filter(
            component_id__in=[component.pk for component in components]
        ).values_list("component_id", flat=True)
    )

    rows = []
    for component in components:
        if component.org_id == plan.source_org_id:
            target = targets.get(component.other_pk)
            rows.append(
                Row(
                    component.compare_status,
                    component,
                    target,
                    selected=component.pk in selected,
                    compared_by=component.compared_by,
                )
            )
        else:
            rows.append(Row(component.compare_status, None, component))
    return rows
