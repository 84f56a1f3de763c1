"""
The background refresh task and the one way to queue it.

Runs go through Django's tasks API (the django-tasks backport): a database
queue worked by ``python manage.py db_worker`` in production and the demo,
run immediately in the tests.
"""

import logging

from django.db import IntegrityError, transaction
from django_tasks import task

from orgs.models import Organization
from sync.models import SyncRun
from sync.refresh import run_refresh

logger = logging.getLogger(__name__)


@task()
def refresh_components(run_id: int) -> str:
    """Refresh the components of the run's org; return how the run ended."""
    return run_refresh(run_id).status


def start_refresh(org: Organization, user) -> tuple[SyncRun, bool]:
    """Queue a refresh of ``org``; return the run and whether it is new.

    When a refresh of the org is already queued or running, that run is
    returned instead: the database allows one active run per org.
    """
    active = org.sync_runs.active().first()
    if active is not None and not active.fail_if_stale():
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
