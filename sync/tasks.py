"""
The background refresh task and the one way to queue it.

Runs go through Django's tasks API (the django-tasks backport): a database
queue worked by ``python manage.py db_worker`` in production and the demo,
run immediately in the tests.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from orgs.models import Organization
from sync.models import SyncRun
from sync.refresh import KEPT, run_refresh

logger = logging.getLogger(__name__)

# A run that has not written progress for this long lost its worker.
STALE_AFTER = timedelta(minutes=30)


@task()
def refresh_components(run_id: int) -> str:
    """Refresh the components of the run's org; return how the run ended."""
    return run_refresh(run_id).status


def start_refresh(org: Organization, user) -> tuple[SyncRun, bool]:
    """Queue a refresh of ``org``; return the run and whether it is new.

    When a refresh of the org is already queued or running, that run is
    returned instead: the database allows one active run per org.
    """
    fail_stale_runs(org)
    active = org.sync_runs.active().first()
    if active is not None:
        return active, False
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(org=org, started_by=user)
    except IntegrityError:
        # Another request queued one between the check and the insert.
        return org.sync_runs.active().get(), False

    try:
        refresh_components.enqueue(run.pk)
    except Exception:
        logger.exception("Could not queue refresh %s of org %s", run.pk, org.org_id)
        run.finish(
            SyncRun.Status.FAILED,
            error_message="Ferry could not queue the refresh. Try again in a moment.",
        )
        return run, True
    run.refresh_from_db()
    return run, True


def fail_stale_runs(org: Organization):
    """Mark failed the active runs of ``org`` whose worker went away."""
    cutoff = timezone.now() - STALE_AFTER
    for run in org.sync_runs.active().filter(updated_at__lt=cutoff):
        if run.status == SyncRun.Status.QUEUED:
            message = (
                "No worker picked up this refresh. Check that the task worker "
                "(`python manage.py db_worker`) is running, then refresh again."
            )
        else:
            message = (
                "This refresh stopped without finishing (its worker was stopped "
                f"or restarted). Refresh again. {KEPT}"
            )
        run.finish(SyncRun.Status.FAILED, error_message=message)
