"""Signing in and connecting two orgs through their own apps, in Chromium."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import connect_both_orgs, org_card, sign_in

pytestmark = pytest.mark.e2e


def test_orgs_connected_through_their_own_apps_appear_on_step_one(
    page, ferry_url, sf_live_emulator, owner
):
    sign_in(page, ferry_url)

    connect_both_orgs(page, ferry_url)
    page.get_by_role("link", name="Migration wizard").click()

    prod, uat = org_card(page, "Acme Production"), org_card(page, "Acme UAT")
    expect(page.locator("article.org-card")).to_have_count(2)
    expect(prod).to_contain_text("Default connected app")
    expect(prod).to_contain_text("Production")
    expect(uat).to_contain_text("Sandbox connected app")
    expect(uat).to_contain_text("Sandbox")
    for card in (prod, uat):
        expect(card.locator(".badge-ok")).to_have_text("Connected")
        expect(card).to_contain_text("never")
