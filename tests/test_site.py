import logging
import os
import subprocess
import sys
from pathlib import Path

from pytest_django.asserts import assertContains, assertRedirects

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_PREFIXES = ("SALESFORCE_", "TOKEN_", "SECRET_", "DEBUG", "FERRY_", "HTTPS")


def run_manage(*args, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(CONFIG_PREFIXES)
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_pages_require_sign_in(client):
    response = client.get("/orgs/")

    assertRedirects(response, "/login/?next=/orgs/", fetch_redirect_response=False)


def test_sign_in_page_loads_htmx_from_the_vendored_copy(client):
    response = client.get("/login/")

    assertContains(response, "Sign in to Ferry")
    assertContains(response, "django_htmx/htmx-2.min.js")


def test_signing_in_lands_on_the_app(client, owner):
    response = client.post(
        "/login/", {"username": "olivia", "password": "owner-pass-123"}, follow=True
    )

    assert response.context["user"] == owner
    assertContains(response, "Sign out")


def test_htmx_requests_carry_the_csrf_token(owner_client):
    response = owner_client.get("/orgs/")

    assertContains(response, 'hx-headers=\'{"X-CSRFToken": "')


def test_production_start_without_secret_key_refuses_with_a_clear_message():
    result = run_manage("check", DEBUG="off")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_start_without_encryption_keys_refuses_with_a_clear_message():
    result = run_manage("check", DEBUG="off", SECRET_KEY="x" * 60)

    assert result.returncode != 0
    assert "TOKEN_ENCRYPTION_KEYS is not set" in result.stderr


def test_deploy_checks_pass_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k" * 30 + "Q9!xz" * 10,
        TOKEN_ENCRYPTION_KEYS="dGVzdC1zdWl0ZS1vbmx5LWZlcnJ5LWtleS0wMDAwMDA=",
        ALLOWED_HOSTS="ferry.example.com",
    )

    assert result.returncode == 0, result.stderr


def test_request_lines_in_the_server_log_hide_oauth_codes():
    logger = logging.getLogger("django.server")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)

    try:
        logger.info(
            '"%s" %s %s',
            "GET /orgs/oauth/callback/?code=aPrxSecretCode%3D%3D&state=abc123 HTTP/1.1",
            302,
            0,
        )
    finally:
        logger.removeHandler(handler)

    message = records[0].getMessage()
    assert "aPrxSecretCode" not in message
    assert "abc123" not in message
    assert "/orgs/oauth/callback/?code=[redacted]&state=[redacted]" in message
