"""Starting a connection and rejecting bad callbacks (no Salesforce needed)."""

import base64
import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains

from orgs.models import AuthorizationAttempt, Organization
from tests.helpers import EMULATOR_URL, app

pytestmark = pytest.mark.django_db

CONNECT = "/orgs/connect/"
CALLBACK = "/orgs/oauth/callback/"
FORM = {"app": "default", "org_type": "production", "color": "#0b6bcb", "icon": "☁️"}


def start_connection(client, **overrides):
    response = client.post(CONNECT, {**FORM, **overrides})
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    return location, params


def test_connect_redirects_to_salesforce_with_pkce_and_the_chosen_app(owner_client):
    location, params = start_connection(owner_client, app="sandbox_app")

    assert f"{location.scheme}://{location.netloc}" == EMULATOR_URL
    assert location.path == "/services/oauth2/authorize"
    assert params["response_type"] == "code"
    assert params["client_id"] == app("sandbox_app").client_id
    assert params["redirect_uri"] == "http://testserver/orgs/oauth/callback/"
    assert params["code_challenge_method"] == "S256"
    assert "refresh_token" in params["scope"].split()
    attempt = AuthorizationAttempt.objects.get(state=params["state"])
    digest = hashlib.sha256(attempt.code_verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert params["code_challenge"] == challenge


def test_verifier_uses_only_url_safe_base64_characters(owner_client):
    _location, params = start_connection(owner_client)

    verifier = AuthorizationAttempt.objects.get(state=params["state"]).code_verifier

    assert re.fullmatch(r"[A-Za-z0-9_-]{43,128}", verifier)


def test_two_tabs_get_their_own_state_and_verifier(owner_client):
    _first_location, first = start_connection(owner_client)
    _second_location, second = start_connection(owner_client)

    attempts = AuthorizationAttempt.objects.filter(
        state__in=[first["state"], second["state"]]
    )

    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]
    assert len({attempt.code_verifier for attempt in attempts}) == 2


def test_sandbox_signs_in_at_the_sandbox_login_host(owner_client, settings):
    settings.SALESFORCE_SANDBOX_LOGIN_URL = "https://test.salesforce.com"

    location, _params = start_connection(owner_client, org_type="sandbox")

    assert location.netloc == "test.salesforce.com"


def test_my_domain_is_where_the_user_signs_in(owner_client):
    location, _params = start_connection(
        owner_client, my_domain="https://acme.my.salesforce.com/some/path"
    )

    assert location.netloc == "acme.my.salesforce.com"


def test_my_domain_outside_salesforce_is_refused(owner_client):
    response = owner_client.post(CONNECT, {**FORM, "my_domain": "https://evil.example"})

    assertContains(response, "not a Salesforce host")
    assert not AuthorizationAttempt.objects.exists()


def test_my_domain_with_a_user_name_is_refused(owner_client):
    response = owner_client.post(
        CONNECT, {**FORM, "my_domain": "https://someone@acme.my.salesforce.com"}
    )

    assertContains(response, "without a user name or password")
    assert not AuthorizationAttempt.objects.exists()


def test_attempts_older_than_an_hour_are_forgotten(owner_client):
    _location, params = start_connection(owner_client)
    AuthorizationAttempt.objects.filter(state=params["state"]).update(
        created_at=timezone.now() - timedelta(hours=2)
    )

    start_connection(owner_client)

    assert not AuthorizationAttempt.objects.filter(state=params["state"]).exists()
    assert AuthorizationAttempt.objects.count() == 1


def test_callback_without_state_is_refused_kindly(owner_client):
    response = owner_client.get(CALLBACK, {"code": "aPrx.code"})

    assertContains(response, "no state parameter", status_code=400)
    assert not Organization.objects.exists()


def test_callback_with_unknown_state_is_refused(owner_client):
    response = owner_client.get(CALLBACK, {"code": "aPrx.code", "state": "made-up"})

    assertContains(response, "does not match a connection", status_code=400)


def test_callback_with_another_users_state_is_refused(owner_client, other_user, client):
    _location, params = start_connection(owner_client)
    client.force_login(other_user)

    response = client.get(CALLBACK, {"code": "aPrx.code", "state": params["state"]})

    assertContains(response, "does not match a connection", status_code=400)


def test_callback_state_is_single_use(owner_client):
    _location, params = start_connection(owner_client)
    denied = {"state": params["state"], "error": "access_denied"}
    owner_client.get(CALLBACK, denied)

    response = owner_client.get(CALLBACK, denied)

    assertContains(response, "already used", status_code=400)


def test_callback_after_ten_minutes_has_expired(owner_client):
    _location, params = start_connection(owner_client)
    AuthorizationAttempt.objects.filter(state=params["state"]).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )

    response = owner_client.get(
        CALLBACK, {"code": "aPrx.code", "state": params["state"]}
    )

    assertContains(response, "expired", status_code=400)


@pytest.mark.parametrize("error", ["access_denied", "access-denied"])
def test_denied_sign_in_says_it_was_cancelled(owner_client, error):
    _location, params = start_connection(owner_client)

    response = owner_client.get(CALLBACK, {"state": params["state"], "error": error})

    assertContains(response, "cancelled or access was denied", status_code=400)


def test_salesforce_error_is_shown_escaped(owner_client):
    _location, params = start_connection(owner_client)

    response = owner_client.get(
        CALLBACK,
        {
            "state": params["state"],
            "error": "inactive_org",
            "error_description": "<b>org locked</b>",
        },
    )

    assertContains(
        response, "inactive_org: &lt;b&gt;org locked&lt;/b&gt;", status_code=400
    )


def test_connect_page_requires_sign_in(client):
    response = client.get(CONNECT)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
