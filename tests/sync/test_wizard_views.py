from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sync.models import NO_WORKER_AFTER, STALE_AFTER, SyncRun
from tests.helpers import make_org
from tests.sync.helpers import make_component

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def sync_url(org):
    return f"/orgs/{org.org_id}/sync/"


def make_run(org, age, **fields):
    """Create a run last written and created ``age`` ago."""
    run = SyncRun.objects.create(org=org, **fields)
    long_ago = timezone.now() - age
    SyncRun.objects.filter(pk=run.pk).update(created_at=long_ago, updated_at=long_ago)
    run.refresh_from_db()
    return run


def test_home_opens_the_wizard(owner_client):
    response = owner_client.get("/")

    assertRedirects(response, "/wizard/", fetch_redirect_response=False)


def test_wizard_shows_the_users_orgs_as_cards(owner_client, source_org, other_user):
    make_component(source_org, "InvoiceService")
    make_component(source_org, "Invoice__c", type="CustomObject")
    make_org(other_user, org_id="00D5g00000OscarEAR", name="Oscar Prod")

    response = owner_client.get("/wizard/")

    assertContains(response, f'id="org-{source_org.pk}"')
    assertContains(response, "Acme Production")
    assertContains(response, source_org.org_id)
    assertContains(response, "Default connected app")
    assertContains(response, "2 components")
    assertContains(response, "Refresh Components")
    assertContains(response, f'action="{sync_url(source_org)}"')
    assertNotContains(response, "Oscar Prod")


def test_cards_tell_apart_orgs_on_the_same_host_by_instance_path(
    owner_client, source_org, target_org
):
    target_org.instance_url = "http://127.0.0.1:5999/instances/uat"
    target_org.save()

    response = owner_client.get("/wizard/")

    assertContains(response, "127.0.0.1:5999<wbr>/instances/prod</dd>")
    assertContains(response, "127.0.0.1:5999<wbr>/instances/uat</dd>")
    assertNotContains(response, "http://127.0.0.1:5999/instances")


def test_wizard_shows_only_working_steps(owner_client, source_org):
    response = owner_client.get("/wizard/")

    assertContains(response, "1 · Refresh orgs")
    assertNotContains(response, "2 · Choose source and target")
    assertNotContains(response, "Deploy")


def test_wizard_offers_step_two_once_two_orgs_are_refreshed(
    owner_client, source_org, target_org
):
    response = owner_client.get("/wizard/")

    assertContains(response, "2 · Choose source and target")
    assertContains(response, 'hx-select-oob="#wizard-steps"')


def test_wizard_query_count_does_not_grow_with_orgs(
    owner_client, owner, django_assert_num_queries
):
    for number in range(3):
        org = make_org(owner, org_id=f"00D5g00000Org{number}XEAR", name=f"Org {number}")
        make_component(org, "InvoiceService")
        SyncRun.objects.create(org=org, status=SyncRun.Status.SUCCEEDED)

    # Session, user, orgs with their latest run id, those runs, the counts.
    with django_assert_num_queries(5):
        response = owner_client.get("/wizard/")

    assert response.status_code == 200


def test_refresh_without_javascript_redirects_to_the_updated_card(
    owner_client, prod_org
):
    response = owner_client.post(sync_url(prod_org))

    assertRedirects(
        response, f"/wizard/#org-{prod_org.pk}", fetch_redirect_response=False
    )
    page = owner_client.get("/wizard/")
    assertContains(page, "added, 0 changed, 0 removed")


def test_a_second_click_shows_the_running_refresh(owner_client, prod_org, owner):
    running = SyncRun.objects.create(
        org=prod_org, started_by=owner, status=SyncRun.Status.RUNNING
    )

    response = owner_client.post(f"/orgs/{prod_org.org_id}/sync/", follow=True)

    assert SyncRun.objects.filter(org=prod_org).count() == 1
    assert response.context["cards"][0].run == running
    assert "already running" in response.content.decode()


def test_refresh_over_htmx_answers_with_the_card(owner_client, prod_org):
    response = owner_client.post(sync_url(prod_org), **HTMX)

    assertContains(response, f'id="org-{prod_org.pk}"')
    assertContains(response, "Refreshed")
    assertNotContains(response, "<html")


def test_failed_refresh_shows_the_message_and_a_reconnect_button(
    owner_client, prod_org, sf_emulator
):
    sf_emulator.revoke_refresh_token(prod_org.refresh_token)

    response = owner_client.post(sync_url(prod_org), **HTMX)

    assertContains(response, "needs to be reconnected")
    assertContains(response, f'href="/orgs/{prod_org.org_id}/reconnect/"')


def test_running_refresh_polls_its_progress(owner_client, source_org):
    run = SyncRun.objects.create(
        org=source_org,
        status=SyncRun.Status.RUNNING,
        progress={"ApexClass": {"read": 400, "done": True}},
    )

    card = owner_client.get("/wizard/")
    progress = owner_client.get(f"/wizard/runs/{run.pk}/", **HTMX)

    for response in (card, progress):
        assertContains(response, f'hx-get="/wizard/runs/{run.pk}/"')
        assertContains(response, f'href="/wizard/runs/{run.pk}/"')
        assertContains(response, "Apex classes: 400")
    assertNotContains(card, "Refresh Components</button>")
    assertNotContains(progress, "<html")


def test_wizard_fails_a_run_whose_worker_died_and_offers_a_new_refresh(
    owner_client, source_org
):
    stale = make_run(
        source_org, STALE_AFTER + timedelta(minutes=1), status=SyncRun.Status.RUNNING
    )

    response = owner_client.get("/wizard/")

    stale.refresh_from_db()
    assert stale.status == SyncRun.Status.FAILED
    assertContains(response, "This refresh stopped without finishing")
    assertContains(response, "Refresh Components</button>")
    assertNotContains(response, f'hx-get="/wizard/runs/{stale.pk}/"')


def test_polling_a_run_whose_worker_died_swaps_in_the_failed_card(
    owner_client, source_org
):
    stale = make_run(source_org, STALE_AFTER + timedelta(minutes=1))

    response = owner_client.get(f"/wizard/runs/{stale.pk}/", **HTMX)

    assert response["HX-Retarget"] == f"#org-{source_org.pk}"
    assertContains(response, "No worker picked up this refresh")
    assertContains(response, "python manage.py db_worker")
    assertContains(response, "Refresh Components</button>")


def test_run_queued_for_long_says_no_worker_seems_to_run_and_keeps_waiting(
    owner_client, source_org
):
    queued = make_run(source_org, NO_WORKER_AFTER + timedelta(seconds=5))

    response = owner_client.get(f"/wizard/runs/{queued.pk}/", **HTMX)

    assertContains(response, "No background worker seems to be running")
    assertContains(response, "python manage.py db_worker")
    assertContains(response, f'hx-get="/wizard/runs/{queued.pk}/"')
    assertNotContains(response, "<progress")
    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.QUEUED


def test_run_queued_moments_ago_waits_without_a_worker_warning(
    owner_client, source_org
):
    queued = make_run(source_org, timedelta(seconds=2))

    response = owner_client.get(f"/wizard/runs/{queued.pk}/", **HTMX)

    assertContains(response, "Waiting for a worker to start the refresh")
    assertNotContains(response, "No background worker seems to be running")


def test_finished_refresh_swaps_in_the_whole_card(owner_client, source_org):
    run = SyncRun.objects.create(
        org=source_org,
        status=SyncRun.Status.SUCCEEDED,
        added=3,
        finished_at=timezone.now(),
    )

    response = owner_client.get(f"/wizard/runs/{run.pk}/", **HTMX)

    assert response["HX-Retarget"] == f"#org-{source_org.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assertContains(response, "Refresh Components")
    assert "HX-Request" in response["Vary"]


def test_finished_refresh_tells_the_page_to_offer_the_next_step(
    owner_client, source_org, target_org
):
    run = SyncRun.objects.create(
        org=source_org, status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now()
    )

    finished = owner_client.get(f"/wizard/runs/{run.pk}/", **HTMX)
    page = owner_client.get("/wizard/")

    assert "runFinished" in finished["HX-Trigger"]
    assertContains(page, 'hx-trigger="runFinished from:body"')
    assertContains(page, "Next: choose source and target")


def test_reconnect_is_the_main_action_on_a_broken_org(owner_client, source_org):
    source_org.mark_needs_reconnect("Salesforce no longer accepts its refresh token")

    response = owner_client.get("/wizard/")

    assertContains(response, 'class="button primary" href="/orgs/')
    assertNotContains(response, 'class="primary">Refresh Components')


def test_run_status_without_javascript_goes_back_to_the_card(owner_client, source_org):
    run = SyncRun.objects.create(org=source_org)

    response = owner_client.get(f"/wizard/runs/{run.pk}/")

    assertRedirects(
        response, f"/wizard/#org-{source_org.pk}", fetch_redirect_response=False
    )


def test_another_users_org_and_runs_are_not_found(client, source_org, other_user):
    run = SyncRun.objects.create(org=source_org)
    client.force_login(other_user)

    start = client.post(sync_url(source_org))
    status = client.get(f"/wizard/runs/{run.pk}/", **HTMX)

    assert start.status_code == 404
    assert status.status_code == 404
    assert SyncRun.objects.count() == 1


def test_refresh_only_answers_post(owner_client, source_org):
    response = owner_client.get(sync_url(source_org))

    assert response.status_code == 405
