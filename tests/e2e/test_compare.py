"""Choosing source and target, comparing, filtering and selecting, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from sync.models import MigrationPlan
from tests.e2e.helpers import refresh_org, sign_in
from tests.helpers import make_emulated_org

pytestmark = pytest.mark.e2e


def test_selection_made_on_a_filtered_comparison_is_there_after_a_reload(
    page, ferry_url, sf_live_emulator, owner
):
    prod = make_emulated_org(owner, sf_live_emulator, "prod", "default")
    uat = make_emulated_org(owner, sf_live_emulator, "uat", "sandbox_app")
    sign_in(page, ferry_url)
    refresh_org(page, "Acme Production")
    refresh_org(page, "Acme UAT")
    # The next step appears as soon as the second refresh ends, with no reload.
    page.get_by_role("link", name="Next: choose source and target").click()
    page.get_by_label("Source").select_option(f"Acme UAT (Sandbox, {uat.org_id})")
    page.get_by_label("Target").select_option(
        f"Acme Production (Production, {prod.org_id})"
    )
    page.get_by_role("button", name="Compare").click()
    expect(
        page.get_by_role("heading", name="Acme UAT → Acme Production")
    ).to_be_visible()

    page.get_by_label("Type").select_option("ApexClass")
    page.get_by_label("Status").select_option("new")
    page.get_by_label("Search").fill("Gateway")
    expect(page).to_have_url(re.compile(r"q=Gateway"))
    rows = page.locator("table.compare tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator("td:nth-child(3) > .mono")).to_have_text(
        ["PaymentGateway", "PaymentGatewayTest"]
    )
    page.get_by_label("Select PaymentGateway", exact=True).check()
    expect(page.locator(".selected-count")).to_have_text("1 selected")

    page.reload()

    expect(page.get_by_label("Type")).to_have_value("ApexClass")
    expect(page.get_by_label("Search")).to_have_value("Gateway")
    expect(page.get_by_label("Select PaymentGateway", exact=True)).to_be_checked()
    expect(
        page.get_by_label("Select PaymentGatewayTest", exact=True)
    ).not_to_be_checked()
    expect(page.locator(".selected-count")).to_have_text("1 selected")
    plan = MigrationPlan.objects.get(owner=owner)
    assert list(plan.planned.values_list("component__api_name", flat=True)) == [
        "PaymentGateway"
    ]
