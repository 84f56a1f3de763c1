"""Browser tabs that leave a screenshot, and what a user does in Ferry's pages."""

import os
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("FERRY_TEST_ARTIFACTS") or REPO / "test-artifacts")
TIMEOUT_MS = 15_000
# A refresh against the emulator takes well under a second; the card polls
# every second, so a few polls is plenty.
REFRESH_TIMEOUT_MS = 20_000
# The ``owner`` persona's sign-in, from tests/conftest.py.
OWNER = ("olivia", "owner-pass-123")
# Every user's password in the emulator's default configuration.
SALESFORCE_PASSWORD = "ferry-demo-pass"


@contextmanager
def open_tab(browser, name):
    """Open a tab in a fresh context; on the way out, save a screenshot."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        context.close()


def sign_in(page, ferry_url, username=OWNER[0], password=OWNER[1]):
    """Sign in to Ferry, by default as the ``owner`` persona."""
    page.goto(f"{ferry_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Refresh your orgs")).to_be_visible()


def connect_org(page, ferry_url, app, org_type, username, password):
    """Connect an org as a user does, by the labels on the page.

    ``app`` is the start of the connected app's label, ``org_type`` the org
    type's label; ``username`` and ``password`` sign in at Salesforce.
    """
    page.goto(f"{ferry_url}/orgs/connect/")
    app_select = page.get_by_label("Connected app")
    option = app_select.locator("option", has_text=app)
    app_select.select_option(option.get_attribute("value"))
    page.get_by_label("Org type").select_option(label=org_type)
    page.get_by_role("button", name="Continue to Salesforce").click()

    expect(page).to_have_title("Login | Salesforce (emulator)")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log In and Allow").click()


def connect_both_orgs(page, ferry_url):
    """Connect production through the default app, UAT through its own."""
    orgs = [
        (
            "Acme Production",
            "Default connected app",
            "Production",
            "admin@acme.example",
        ),
        ("Acme UAT", "Sandbox connected app", "Sandbox", "admin@acme.example.uat"),
    ]
    for name, app, org_type, username in orgs:
        connect_org(page, ferry_url, app, org_type, username, SALESFORCE_PASSWORD)
        expect(page.get_by_text(f"Connected {name}.")).to_be_visible()


def org_card(page, name):
    org_link = page.get_by_role("link", name=name, exact=True)
    return page.locator("article.org-card").filter(has=org_link)


def refresh_org(page, name):
    """Click Refresh Components on ``name``'s card and wait for the outcome."""
    card = org_card(page, name)
    card.get_by_role("button", name="Refresh Components").click()
    expect(card.get_by_role("progressbar", name="Refresh progress")).to_be_visible()
    expect(card.locator(".run-summary, .run-error")).to_be_visible(
        timeout=REFRESH_TIMEOUT_MS
    )
    return card
