"""
Work a refresh of an org's components and record how it ended.

The task in ``sync.tasks`` calls ``run_refresh``. A run first refreshes the
access token through ``orgs.tokens`` so a broken connection fails at once,
then reads every type into a spool file, and only once everything was read
replaces the stored snapshot in one transaction.
"""

import logging
import pickle
import tempfile
import time

from django.db import transaction
from django.utils import timezone

from orgs.exceptions import (
    ConnectionBroken,
    InvalidResponse,
    SalesforceAPIError,
    SalesforceError,
    SalesforceUnavailable,
)
from orgs.models import Organization
from orgs.salesforce import SalesforceClient
from orgs.tokens import refresh_access_token
from sync import fetch, snapshot
from sync.component_types import COMPONENT_TYPES
from sync.models import KEPT, SyncRun

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_SECONDS = 1.0
SPOOL_BATCH_SIZE = 1000
BEFORE_READING = "before reading any components, while refreshing the access token"


def run_refresh(run_id: int) -> SyncRun:
    """Work the queued run ``run_id`` to its end and return it."""
    # Claim the run in one statement, so a run delivered twice is worked once.
    now = timezone.now()
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=now, updated_at=now
    )
    run = SyncRun.objects.select_related("org").get(pk=run_id)
    if not claimed:
        return run

    token = client = None
    try:
        token = refresh_access_token(run.org)
        run.client_id = token.client_id
        run.client_id_source = token.client_id_source
        run.save(update_fields=["client_id", "client_id_source", "updated_at"])

        client = SalesforceClient(token.org)
        _read_and_store(run, client)
    except SalesforceError as error:
        message, needs_reconnect = failure_message(
            run, error, token_refreshed=token is not None
        )
        logger.warning(
            "Refresh %s of org %s failed: %s",
            run.pk,
            run.org.org_id,
            error.code or type(error).__name__,
        )
        run.finish(
            SyncRun.Status.FAILED,
            error_message=message,
            needs_reconnect=needs_reconnect,
            request_count=client.request_count if client else 0,
        )
    except Exception:
        logger.exception("Refresh %s of org %s failed", run.pk, run.org.org_id)
        run.finish(
            SyncRun.Status.FAILED,
            error_message=(
                f"The refresh stopped on an unexpected error, logged as refresh "
                f"{run.pk}. {KEPT}"
            ),
            request_count=client.request_count if client else 0,
        )
    return run


def _read_and_store(run, client):
    progress = ProgressRecorder(run)
    # Every row is read before the snapshot changes; they wait on disk, not
    # in memory, so a large org costs no more memory than a small one.
    with tempfile.TemporaryFile() as spool:
        batch = []
        for row in fetch.read_components(client, progress.record):
            batch.append(row)
            if len(batch) == SPOOL_BATCH_SIZE:
                pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                batch = []
        pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
        spool.seek(0)

        with transaction.atomic():
            counts = snapshot.replace_snapshot(run.org, run, _unspool(spool))
            run.finish(
                SyncRun.Status.SUCCEEDED,
                added=counts.added,
                changed=counts.changed,
                unchanged=counts.unchanged,
                removed=counts.removed,
                request_count=client.request_count,
            )
            Organization.objects.filter(pk=run.org.pk).update(
                last_synced_at=run.finished_at
            )


def _unspool(spool):
    while True:
        try:
            # The spool is this process's own unnamed temporary file.
            batch = pickle.load(spool)  # noqa: S301
        except EOFError:
            return
        yield from batch


class ProgressRecorder:
    """Write a run's per-type progress, at most about once a second."""

    def __init__(self, run):
        self.run = run
        self.written_at = 0.0

    def record(self, component_type, read, done):
        self.run.progress[component_type.name] = {"read": read, "done": done}
        now = time.monotonic()
        if done or now - self.written_at >= PROGRESS_INTERVAL_SECONDS:
            SyncRun.objects.filter(pk=self.run.pk).update(
                progress=self.run.progress, updated_at=timezone.now()
            )
            self.written_at = now


def failure_message(
    run, error: SalesforceError, *, token_refreshed=True
) -> tuple[str, bool]:
    """Return what to tell the user about ``error`` and whether to reconnect."""
    if isinstance(error, ConnectionBroken):
        return f"{error.user_message} {KEPT}", True
    stage = _stage(run) if token_refreshed else BEFORE_READING
    if isinstance(error, SalesforceUnavailable):
        return (
            f"{error.user_message} The refresh stopped {stage}. {KEPT}",
            False,
        )
    if isinstance(error, InvalidResponse):
        return (
            f"Salesforce sent an answer Ferry could not read {stage}: "
            f"{error.user_message} {KEPT}",
            False,
        )
    if isinstance(error, SalesforceAPIError):
        return (
            f"Salesforce refused a request {stage}: {error.user_message} {KEPT}",
            False,
        )
    return f"{error.user_message} {KEPT}", False


def _stage(run) -> str:
    """Say which type a run was reading, from its progress."""
    for component_type in COMPONENT_TYPES:
        if not run.progress.get(component_type.name, {}).get("done"):
            return f"while reading {component_type.label.lower()}"
    return "while reading the components"
