"""Running a refresh: its token, its snapshot, its failures."""

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from orgs.models import Organization
from sync import refresh, tasks
from sync.models import STALE_AFTER, SyncRun
from sync.tasks import start_refresh
from tests.helpers import make_org

pytestmark = pytest.mark.django_db

KEPT = "The components from the previous refresh are kept."


def test_a_successful_refresh_records_the_app_counts_and_time(prod_org, owner):
    run, created = start_refresh(prod_org, owner)

    prod_org.refresh_from_db()
    assert created
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.started_by == owner
    assert run.client_id == prod_org.oauth_client_id
    assert run.client_id_source == "stored"
    assert run.added == prod_org.components.count() > 0
    assert prod_org.last_synced_at == run.finished_at


def test_second_refresh_counts_what_changed_in_the_org(prod_org, owner, sf_emulator):
    start_refresh(prod_org, owner)
    sf_emulator.change_component(
        "prod", "ApexClass", "StringUtils", Body="public class StringUtils {}"
    )
    sf_emulator.delete_component("prod", "ApexPage", "InvoicePdf")
    sf_emulator.add_component("prod", "ApexClass", {"Name": "Fresh", "Body": ""})

    run, _created = start_refresh(prod_org, owner)

    assert (run.added, run.changed, run.removed) == (1, 1, 1)
    assert not prod_org.components.filter(api_name="InvoicePdf").exists()


def after_types_read(monkeypatch, count, action):
    """Run ``action`` once, when the refresh has read ``count`` types."""
    record = refresh.ProgressRecorder.record

    def record_then_act(self, component_type, read, done):
        record(self, component_type, read, done)
        finished = [entry for entry in self.run.progress.values() if entry["done"]]
        if done and len(finished) == count:
            action()

    monkeypatch.setattr(refresh.ProgressRecorder, "record", record_then_act)


def test_failure_mid_run_leaves_the_previous_snapshot_intact(
    prod_org, owner, sf_emulator, monkeypatch
):
    start_refresh(prod_org, owner)
    before = set(prod_org.components.values_list("type", "api_name", "content_hash"))
    sf_emulator.delete_component("prod", "ApexPage", "InvoicePdf")
    sf_emulator.change_component("prod", "ApexClass", "StringUtils", Body="// new")
    after_types_read(
        monkeypatch,
        4,
        lambda: sf_emulator.fail_next(10, "unavailable", endpoint="tooling"),
    )

    run, _created = start_refresh(prod_org, owner)

    after = set(prod_org.components.values_list("type", "api_name", "content_hash"))
    assert run.status == SyncRun.Status.FAILED
    assert after == before
    assert "Salesforce is unavailable" in run.error_message
    assert "while reading aura components" in run.error_message
    assert KEPT in run.error_message
    assert run.progress["ApexClass"]["done"]


def test_a_refresh_already_running_is_returned_not_doubled(prod_org, owner):
    running = SyncRun.objects.create(
        org=prod_org, started_by=owner, status=SyncRun.Status.RUNNING
    )

    run, created = start_refresh(prod_org, owner)

    assert run == running
    assert not created
    assert SyncRun.objects.filter(org=prod_org).count() == 1


def test_the_database_refuses_two_active_refreshes_of_one_org(prod_org):
    SyncRun.objects.create(org=prod_org, status=SyncRun.Status.QUEUED)

    with pytest.raises(IntegrityError):
        SyncRun.objects.create(org=prod_org, status=SyncRun.Status.RUNNING)


def test_a_refresh_abandoned_by_its_worker_no_longer_blocks_the_org(prod_org, owner):
    stale = SyncRun.objects.create(org=prod_org, status=SyncRun.Status.RUNNING)
    SyncRun.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - STALE_AFTER - timedelta(minutes=1)
    )

    run, created = start_refresh(prod_org, owner)

    stale.refresh_from_db()
    assert created
    assert run.status == SyncRun.Status.SUCCEEDED
    assert stale.status == SyncRun.Status.FAILED
    assert "stopped without finishing" in stale.error_message


def test_legacy_org_without_client_id_refreshes_through_the_default_app(
    prod_org, owner
):
    Organization.objects.filter(pk=prod_org.pk).update(oauth_client_id=None)
    prod_org.refresh_from_db()

    run, _created = start_refresh(prod_org, owner)

    prod_org.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.client_id_source == "fallback"
    assert prod_org.oauth_client_id == run.client_id


def test_each_org_refreshes_with_its_own_app(prod_org, uat_org, owner, sf_emulator):
    prod_run, _ = start_refresh(prod_org, owner)
    uat_run, _ = start_refresh(uat_org, owner)

    assert prod_run.status == uat_run.status == SyncRun.Status.SUCCEEDED
    assert prod_run.client_id == sf_emulator.app("default").client_id
    assert uat_run.client_id == sf_emulator.app("sandbox_app").client_id
    assert uat_org.components.filter(api_name="PaymentGateway").exists()


def test_expired_session_mid_run_refreshes_once_more_and_finishes(
    prod_org, owner, sf_emulator, monkeypatch
):
    after_types_read(monkeypatch, 1, sf_emulator.expire_access_tokens)

    run, _created = start_refresh(prod_org, owner)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert len(sf_emulator.token_requests(grant_type="refresh_token")) == 2


def test_client_id_mismatch_says_so_and_offers_reconnect(prod_org, owner, sf_emulator):
    sandbox_app = sf_emulator.app("sandbox_app").client_id
    Organization.objects.filter(pk=prod_org.pk).update(oauth_client_id=sandbox_app)
    prod_org.refresh_from_db()

    run, _created = start_refresh(prod_org, owner)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_message.startswith("Client ID mismatch for Acme Production")
    assert KEPT in run.error_message
    assert run.needs_reconnect


def test_revoked_refresh_token_asks_for_a_reconnect(prod_org, owner, sf_emulator):
    sf_emulator.revoke_refresh_token(prod_org.refresh_token)

    run, _created = start_refresh(prod_org, owner)

    assert run.status == SyncRun.Status.FAILED
    assert "needs to be reconnected" in run.error_message
    assert run.needs_reconnect


def test_unconfigured_client_id_names_the_settings_to_fix(prod_org, owner):
    Organization.objects.filter(pk=prod_org.pk).update(
        oauth_client_id="3MVG9NoSuchAppAnywhere0000000000000000000000000000000000000009"
    )
    prod_org.refresh_from_db()

    run, _created = start_refresh(prod_org, owner)

    assert "not one of the configured connected apps" in run.error_message
    assert run.needs_reconnect


def test_rate_limit_says_to_wait_for_the_quota(prod_org, owner, sf_emulator):
    sf_emulator.fail_next(1, "request_limit", endpoint="tooling")

    run, _created = start_refresh(prod_org, owner)

    assert run.status == SyncRun.Status.FAILED
    assert "used up its daily Salesforce API requests" in run.error_message
    assert not run.needs_reconnect


def test_unavailable_salesforce_says_to_try_later(prod_org, owner, sf_emulator):
    sf_emulator.fail_next(10, "unavailable", endpoint="tooling")

    run, _created = start_refresh(prod_org, owner)

    assert "Salesforce is unavailable for Acme Production" in run.error_message
    assert "while reading apex classes" in run.error_message
    assert not run.needs_reconnect


def test_unavailable_token_endpoint_says_nothing_was_read_yet(
    prod_org, owner, sf_emulator
):
    sf_emulator.fail_next(10, "unavailable", endpoint="token")

    run, _created = start_refresh(prod_org, owner)

    assert run.status == SyncRun.Status.FAILED
    assert (
        "stopped before reading any components, while refreshing the access token"
        in run.error_message
    )
    assert "apex classes" not in run.error_message


def test_unreadable_token_answer_says_nothing_was_read_yet(
    prod_org, owner, sf_emulator
):
    sf_emulator.fail_next(1, "invalid_json", endpoint="token")

    run, _created = start_refresh(prod_org, owner)

    assert run.error_message.startswith(
        "Salesforce sent an answer Ferry could not read before reading any "
        "components, while refreshing the access token"
    )


def test_unreadable_answer_says_which_type_was_being_read(prod_org, owner, sf_emulator):
    sf_emulator.fail_next(1, "invalid_json", endpoint="tooling")

    run, _created = start_refresh(prod_org, owner)

    assert run.error_message.startswith(
        "Salesforce sent an answer Ferry could not read while reading apex classes"
    )


def test_unexpected_error_is_logged_and_reported_by_run(
    prod_org, owner, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(refresh.fetch, "read_components", broken)

    run, _created = start_refresh(prod_org, owner)

    assert run.status == SyncRun.Status.FAILED
    assert f"logged as refresh {run.pk}" in run.error_message
    assert any(record.exc_info for record in caplog.records)


def test_error_messages_never_carry_tokens(prod_org, owner, sf_emulator):
    sf_emulator.revoke_refresh_token(prod_org.refresh_token)
    secrets = (prod_org.access_token, prod_org.refresh_token)

    run, _created = start_refresh(prod_org, owner)

    assert not any(secret in run.error_message for secret in secrets)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_clicks_queue_one_refresh(owner, monkeypatch):
    org = make_org(owner)
    # Queue without working, so both clicks meet the run still queued.
    queue = SimpleNamespace(enqueue=lambda run_id: None)
    monkeypatch.setattr(tasks, "refresh_components", queue)
    barrier = threading.Barrier(2)
    results = []

    def click():
        barrier.wait()
        try:
            results.append(start_refresh(org, owner))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    runs = {run.pk for run, _created in results}
    assert len(runs) == 1
    assert sorted(created for _run, created in results) == [False, True]
