from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.connected_apps import fingerprint
from orgs.models import Organization
from sync import component_types

# Components an installed managed package owns. Their source is hidden and
# their namespace belongs to the package, so Ferry never deploys them.
MANAGED_STATES = ("installed", "installedEditable", "deprecated", "deprecatedEditable")
SELECTION_BATCH_SIZE = 1000
KEPT = "The components from the previous refresh are kept."
# A run that has not written progress for this long lost its worker.
STALE_AFTER = timedelta(minutes=30)
# A run still queued this long after it was created suggests that no task
# worker is running at all.
NO_WORKER_AFTER = timedelta(seconds=60)


class Component(models.Model):
    """One piece of metadata in an org, as the org's last refresh read it."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="components"
    )
    # A Metadata API type name from sync.component_types; no choices here so
    # that adding a type needs no migration.
    type = models.CharField(max_length=80)
    api_name = models.CharField(
        "API name",
        max_length=255,
        help_text="Fully qualified as Salesforce names it: ns__Name__c, "
        "Account.Region__c.",
    )
    label = models.CharField(max_length=255, blank=True)
    salesforce_id = models.CharField("Salesforce ID", max_length=18)
    namespace = models.CharField(max_length=15, blank=True)
    manageable_state = models.CharField(max_length=20, blank=True)
    parent = models.CharField(
        max_length=255, blank=True, help_text="The object a field or trigger is on."
    )
    api_version = models.CharField("API version", max_length=8, blank=True)
    status = models.CharField(max_length=40, blank=True)
    is_valid = models.BooleanField(null=True)
    created_date = models.DateTimeField(null=True)
    last_modified_date = models.DateTimeField(null=True)
    last_modified_by = models.CharField(max_length=255, blank=True)
    # NULL, not "": no source to hash (the type has none, or Salesforce hides
    # it), which the comparison in SQL must tell apart from any hash.
    content_hash = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        blank=True,
        help_text="SHA-256 of the source with line endings normalised, for the "
        "types whose source the Tooling API returns.",
    )
    raw = models.JSONField(
        default=dict,
        help_text="The columns read from the Tooling API; long source is "
        "represented by the content hash only.",
    )
    sync_run = models.ForeignKey(
        "SyncRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The refresh that last read this component.",
    )

    class Meta:
        ordering = ["type", "api_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "type", "api_name"], name="sync_unique_component"
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.api_name}"

    @property
    def type_label(self) -> str:
        return component_types.label_for(self.type)

    @property
    def is_managed(self) -> bool:
        return self.manageable_state in MANAGED_STATES


class SyncRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=SyncRun.ACTIVE_STATUSES)

    def for_user(self, user):
        return self.filter(org__owner=user)


class SyncRun(models.Model):
    """One refresh of an org's components."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sync_runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per type: {"ApexClass": {"read": 120, "done": true}}.',
    )
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    request_count = models.PositiveIntegerField("HTTP requests", default=0)
    client_id = models.CharField("client ID", max_length=255, blank=True)
    client_id_source = models.CharField("client ID source", max_length=10, blank=True)
    error_message = models.TextField(blank=True)
    needs_reconnect = models.BooleanField(
        default=False, help_text="The run failed because the org must be reconnected."
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["org"],
                condition=models.Q(status__in=["queued", "running"]),
                name="sync_one_active_run_per_org",
            ),
        ]

    def __str__(self):
        return f"Refresh {self.pk} of {self.org_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_stale(self) -> bool:
        """Whether the run is active but its worker went away."""
        return self.is_active and self.updated_at < _stale_cutoff()

    @property
    def waits_for_worker(self) -> bool:
        """Whether the run has been queued for longer than a worker takes."""
        queued_since = timezone.now() - self.created_at
        return self.status == self.Status.QUEUED and queued_since > NO_WORKER_AFTER

    def fail_if_stale(self) -> bool:
        """Mark the run failed if its worker went away; return whether it was."""
        if not self.is_stale:
            return False
        if self.status == self.Status.QUEUED:
            message = (
                "No worker picked up this refresh. Check that the task worker "
                "(`python manage.py db_worker`) is running, then refresh again."
            )
        else:
            message = (
                "This refresh stopped without finishing (its worker was stopped "
                f"or restarted). Refresh again. {KEPT}"
            )

        # The rule again in SQL: a worker that claimed the run or wrote
        # progress since this copy was read is alive, and its run goes on.
        now = timezone.now()
        failed = SyncRun.objects.filter(
            pk=self.pk, status=self.status, updated_at__lt=_stale_cutoff()
        ).update(
            status=self.Status.FAILED,
            error_message=message,
            finished_at=now,
            updated_at=now,
        )
        if failed:
            self.status = self.Status.FAILED
            self.error_message = message
            self.finished_at = self.updated_at = now
        return bool(failed)

    def finish(self, status, **fields):
        """End the run with ``status``, saving ``fields`` (counts, message)."""
        self.status = status
        self.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()

    @property
    def succeeded(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged

    @property
    def progress_rows(self):
        """Return (label, components read, done) per type in reading order."""
        return [
            (
                component_type.label,
                self.progress.get(component_type.name, {}).get("read", 0),
                self.progress.get(component_type.name, {}).get("done", False),
            )
            for component_type in component_types.COMPONENT_TYPES
        ]

    @property
    def percent_done(self) -> int:
        done = sum(1 for entry in self.progress.values() if entry.get("done"))
        return round(100 * done / len(component_types.COMPONENT_TYPES))

    @property
    def client_id_fingerprint(self) -> str:
        return fingerprint(self.client_id) if self.client_id else ""

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


def _stale_cutoff():
    return timezone.now() - STALE_AFTER


class MigrationPlanQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(owner=user)

    def annotate_selected(self):
        return self.annotate(selected_count=models.Count("planned"))


class MigrationPlan(models.Model):
    """A user's chosen source and target orgs and the components to move."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="migration_plans",
    )
    source_org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="plans_as_source"
    )
    target_org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="plans_as_target"
    )
    components = models.ManyToManyField(
        Component, through="PlannedComponent", related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MigrationPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "source_org", "target_org"],
                name="sync_one_plan_per_org_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(source_org=models.F("target_org")),
                name="sync_plan_source_is_not_target",
            ),
        ]

    def __str__(self):
        return f"{self.source_org.name} → {self.target_org.name}"

    def selectable(self):
        """Return the components this plan may select: the source's own."""
        return Component.objects.filter(org=self.source_org_id).exclude(
            manageable_state__in=MANAGED_STATES
        )

    def select(self, components):
        """Add the selectable ones of ``components`` (ids or a queryset)."""
        if isinstance(components, models.QuerySet):
            components = components.values("pk")
        chosen = list(
            self.selectable().filter(pk__in=components).values_list("pk", flat=True)
        )
        for start in range(0, len(chosen), SELECTION_BATCH_SIZE):
            batch = chosen[start : start + SELECTION_BATCH_SIZE]
            PlannedComponent.objects.bulk_create(
                [PlannedComponent(plan=self, component_id=pk) for pk in batch],
                ignore_conflicts=True,
            )
        self.save(update_fields=["updated_at"])

    def deselect(self, component_ids):
        self.planned.filter(component_id__in=component_ids).delete()
        self.save(update_fields=["updated_at"])

    def clear(self):
        self.planned.all().delete()
        self.save(update_fields=["updated_at"])


class PlannedComponent(models.Model):
    """A source component selected for migration in a plan."""

    plan = models.ForeignKey(
        MigrationPlan, on_delete=models.CASCADE, related_name="planned"
    )
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "component"], name="sync_unique_planned_component"
            ),
        ]

    def __str__(self):
        return f"{self.component} in plan {self.plan_id}"
