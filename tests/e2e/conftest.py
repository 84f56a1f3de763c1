"""Browser tests: Chromium through Playwright, Ferry on a live server wired to
the Salesforce emulator, and a database task worker in a thread."""

import os
import tempfile
import threading
from pathlib import Path

import pytest
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import sync_playwright

from tests.e2e.helpers import open_tab

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_finish(session):
    """Give the browser tests a SQLite file instead of an in-memory database.

    The web thread, the task worker and the test each need a connection of
    their own, and an in-memory SQLite database only works through a single
    shared one.
    """
    if not any(item.get_closest_marker("e2e") for item in session.items):
        return
    connection = connections["default"]
    if connection.vendor != "sqlite" or connection.settings_dict["TEST"]["NAME"]:
        return
    name = f"ferry-e2e-{os.getpid()}.sqlite3"
    connection.settings_dict["TEST"]["NAME"] = str(Path(tempfile.gettempdir(), name))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not os.access(path, os.X_OK):
        reason = (
            f"no Chromium at {path}: install Debian's chromium package or set "
            "CHROMIUM_PATH"
        )
        if _in_ci():
            pytest.fail(f"{reason} (CI is set, so browser tests may not skip)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Chromium for one test module; the other tests run without Playwright.

    Playwright's sync API keeps an event loop running in this thread, which
    Django's ORM takes for async code; the tests only seed and read rows.
    """
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def task_worker(settings, transactional_db):
    """Work queued refreshes in a thread, as `manage.py db_worker` does.

    The test settings run tasks immediately, inside the request; a real queue
    is what lets the page show a refresh in progress.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    worker = Worker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="e2e-worker",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=_work, args=(worker,), name="e2e-task-worker")
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=30)


def _work(worker):
    try:
        worker.run()
    finally:
        connections.close_all()


@pytest.fixture
def ferry_url(live_server, sf_live_emulator, settings, task_worker):
    """Ferry's address, with every Salesforce call going to the emulator."""
    settings.SALESFORCE_LOGIN_URL = sf_live_emulator.base_url
    settings.SALESFORCE_SANDBOX_LOGIN_URL = sf_live_emulator.base_url
    settings.SALESFORCE_CALLBACK_URL = f"{live_server.url}/orgs/oauth/callback/"
    return live_server.url


@pytest.fixture
def page(browser, ferry_url, request):
    """A fresh browser tab on a live Ferry; its last page is saved."""
    with open_tab(browser, request.node.name) as page:
        yield page
