"""Refreshing components from step 1 of the wizard, in Chromium."""

import pytest
from playwright.sync_api import expect

from orgs.models import Organization
from sync.models import Component
from tests.e2e.helpers import (
    connect_both_orgs,
    org_card,
    refresh_org,
    sign_in,
)
from tests.helpers import make_emulated_org

pytestmark = pytest.mark.e2e

ALARMING = ("mismatch", "reconnect", "failed", "error", "not installed")


def expect_refreshed(card, org):
    total = Component.objects.filter(org=org).count()
    assert total > 0
    expect(card.locator(".run-summary")).to_have_text(
        f"Refreshed {total} components: {total} added, 0 changed, 0 removed."
    )
    expect(card.locator(".type-counts summary")).to_have_text(f"{total} components")
    expect(card.get_by_role("progressbar")).to_have_count(0)


def refresh_grants(emulator):
    return [
        (entry["org_alias"], entry["client_id"], entry["status"])
        for entry in emulator.token_requests(grant_type="refresh_token")
    ]


def test_each_org_refreshes_through_the_app_it_was_connected_with(
    page, ferry_url, sf_live_emulator, owner
):
    # Keep each token refresh in flight a moment, so the queued run is still
    # showing its progress bar when the card comes back from the click.
    sf_live_emulator.update_settings(token_delay_seconds=0.3)
    sign_in(page, ferry_url)
    connect_both_orgs(page, ferry_url)
    page.get_by_role("link", name="Migration wizard").click()

    uat_card = refresh_org(page, "Acme UAT")
    prod_card = refresh_org(page, "Acme Production")

    default_app = sf_live_emulator.app("default").client_id
    sandbox_app = sf_live_emulator.app("sandbox_app").client_id
    prod = Organization.objects.get(org_id=sf_live_emulator.org("prod").org_id)
    uat = Organization.objects.get(org_id=sf_live_emulator.org("uat").org_id)
    assert (prod.oauth_client_id, uat.oauth_client_id) == (default_app, sandbox_app)
    assert refresh_grants(sf_live_emulator) == [
        ("uat", sandbox_app, 200),
        ("prod", default_app, 200),
    ]
    expect_refreshed(uat_card, uat)
    expect_refreshed(prod_card, prod)


def test_legacy_org_without_client_id_refreshes_through_the_default_app(
    page, ferry_url, sf_live_emulator, owner
):
    org = make_emulated_org(owner, sf_live_emulator, oauth_client_id=None)
    sign_in(page, ferry_url)
    expect(org_card(page, "Acme Production")).to_contain_text(
        "Default app (not yet recorded)"
    )

    card = refresh_org(page, "Acme Production")

    org.refresh_from_db()
    default_app = sf_live_emulator.app("default").client_id
    assert org.oauth_client_id == default_app
    assert refresh_grants(sf_live_emulator) == [("prod", default_app, 200)]
    expect_refreshed(card, org)
    expect(card).to_contain_text("Default connected app")
    page_text = page.locator("main").inner_text().lower()
    assert not [word for word in ALARMING if word in page_text]


def test_wrong_client_id_shows_the_mismatch_and_the_fix_and_keeps_components(
    page, ferry_url, sf_live_emulator, owner
):
    org = make_emulated_org(owner, sf_live_emulator, "uat", "sandbox_app")
    sign_in(page, ferry_url)
    refresh_org(page, "Acme UAT")
    kept = set(Component.objects.filter(org=org).values_list("type", "api_name"))
    # A backfill guessed wrong: the default app never authorized this org.
    Organization.objects.filter(pk=org.pk).update(
        oauth_client_id=sf_live_emulator.app("default").client_id
    )
    org.refresh_from_db()
    page.reload()

    card = refresh_org(page, "Acme UAT")

    error = card.locator(".run-error")
    expect(error).to_contain_text("Client ID mismatch for Acme UAT")
    expect(error).to_contain_text("External client app is not installed in this org")
    expect(error).to_contain_text(
        "Fix: reconnect the org through the app it should use"
    )
    expect(error).to_contain_text("components from the previous refresh are kept")
    expect(card.locator(".badge-bad")).to_have_text("Needs reconnect")
    expect(card.get_by_role("link", name="Reconnect")).to_be_visible()
    expect(card.locator(".type-counts summary")).to_have_text(f"{len(kept)} components")
    after = set(Component.objects.filter(org=org).values_list("type", "api_name"))
    assert after == kept
    stored = Organization.objects.get(pk=org.pk)
    assert stored.refresh_token == org.refresh_token
    assert stored.last_synced_at == org.last_synced_at


def test_refresh_survives_access_tokens_expiring_mid_run(
    page, ferry_url, sf_live_emulator, owner, monkeypatch
):
    make_emulated_org(owner, sf_live_emulator, "uat", "sandbox_app")
    sign_in(page, ferry_url)
    expire_on_first_tooling_query(sf_live_emulator, monkeypatch)

    card = refresh_org(page, "Acme UAT")

    sandbox_app = sf_live_emulator.app("sandbox_app").client_id
    assert refresh_grants(sf_live_emulator) == [
        ("uat", sandbox_app, 200),
        ("uat", sandbox_app, 200),
    ]
    calls = [
        (entry["endpoint"], entry["status"])
        for entry in sf_live_emulator.requests
        if entry["endpoint"] in ("token", "tooling")
    ]
    assert calls[:4] == [
        ("token", 200),
        ("tooling", 401),
        ("token", 200),
        ("tooling", 200),
    ]
    assert [status for _endpoint, status in calls].count(401) == 1
    expect(card.locator(".run-summary")).to_be_visible()
    expect(card.locator(".run-error")).to_have_count(0)
    expect(card.locator(".badge-ok")).to_have_text("Connected")


def expire_on_first_tooling_query(emulator, monkeypatch):
    """Make Salesforce end every session just after Ferry's own token refresh.

    A run refreshes its token first, so expiring tokens before the click
    proves nothing; expiring them as the first query arrives does.
    """
    app = emulator.wsgi_app
    answer_tooling = app.on_tooling
    expired = []

    def on_tooling(call, **arguments):
        if not expired:
            emulator.expire_access_tokens()
            expired.append(True)
        return answer_tooling(call, **arguments)

    monkeypatch.setattr(app, "on_tooling", on_tooling)
