"""Connecting and refreshing orgs through the local Salesforce emulator."""

import logging
import threading
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection

from orgs import oauth
from orgs.exceptions import ClientIdMismatch, RefreshTokenInvalid
from orgs.models import Organization, TokenEvent
from orgs.tokens import refresh_access_token
from tests.helpers import app, make_emulated_org

pytestmark = pytest.mark.django_db

FORM = {"color": "#6b3fa0", "icon": "🧪"}
PASSWORD = "ferry-demo-pass"


def connect(client, app_key, org_type, username, password=PASSWORD):
    """Walk the whole flow: Ferry's form, Salesforce's sign-in, the callback."""
    started = client.post(
        "/orgs/connect/", {**FORM, "app": app_key, "org_type": org_type}
    )
    signed_in = requests.post(
        started["Location"],
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=5,
    )
    callback = urlsplit(signed_in.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_connecting_stores_the_client_id_that_authorized_the_org(
    owner_client, owner, sf_emulator
):
    response = connect(owner_client, "sandbox_app", "sandbox", "admin@acme.example.uat")

    org = Organization.objects.get(owner=owner)
    assert response["Location"] == f"/orgs/{org.org_id}/"
    assert org.oauth_client_id == app("sandbox_app").client_id
    assert org.org_id == sf_emulator.org("uat").org_id
    assert org.name == "Acme UAT"
    assert org.org_type == Organization.OrgType.SANDBOX
    assert org.instance_url == sf_emulator.instance_url("uat")
    assert org.api_version == "66.0"
    assert org.refresh_token
    assert org.color == "#6b3fa0"
    assert org.token_events.get().kind == TokenEvent.Kind.CONNECT


def test_code_exchange_sends_the_verifier_and_the_apps_own_secret(
    owner_client, sf_emulator
):
    connect(owner_client, "sandbox_app", "sandbox", "admin@acme.example.uat")

    exchange = sf_emulator.token_requests(grant_type="authorization_code")

    assert len(exchange) == 1
    assert exchange[0]["client_id"] == app("sandbox_app").client_id
    assert exchange[0]["status"] == 200


def test_connecting_logs_the_org_and_client_id_but_no_secret(
    owner_client, owner, sf_emulator, caplog
):
    with caplog.at_level(logging.DEBUG):
        connect(owner_client, "default", "production", "admin@acme.example")

    org = Organization.objects.get(owner=owner)
    assert f"Connected org {org.org_id} through client ID" in caplog.text
    assert app("default").fingerprint in caplog.text
    for secret in (org.access_token, org.refresh_token, app("default").client_secret):
        assert secret not in caplog.text


def test_connecting_the_same_org_again_updates_it(owner_client, owner, sf_emulator):
    connect(owner_client, "default", "production", "admin@acme.example")
    first = Organization.objects.get(owner=owner)

    connect(owner_client, "default", "production", "release.manager@acme.example")

    again = Organization.objects.get(owner=owner)
    assert again.pk == first.pk
    assert again.refresh_token != first.refresh_token


def test_app_not_installed_in_the_org_fails_with_a_clear_page(
    owner_client, sf_emulator
):
    response = connect(owner_client, "default", "sandbox", "admin@acme.example.uat")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Default connected app, is not installed in the org" in page
    assert "choose the app that is installed in that org" in page
    assert not Organization.objects.exists()


def test_reconnecting_but_signing_in_to_another_org_changes_nothing(
    owner_client, owner, sf_emulator
):
    uat = make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")
    started = owner_client.post(
        f"/orgs/{uat.org_id}/reconnect/",
        {**FORM, "app": "default", "org_type": "production"},
    )
    signed_in = requests.post(
        started["Location"],
        data={"username": "admin@acme.example", "password": PASSWORD},
        allow_redirects=False,
        timeout=5,
    )
    callback = urlsplit(signed_in.headers["Location"])

    response = owner_client.get(f"{callback.path}?{callback.query}")

    page = response.content.decode()
    assert response.status_code == 400
    assert "you were reconnecting Acme UAT" in page
    assert "Nothing was changed" in page
    assert list(Organization.objects.values_list("org_id", flat=True)) == [uat.org_id]
    uat.refresh_from_db()
    assert uat.oauth_client_id == app("sandbox_app").client_id
    revoked = [call for call in sf_emulator.requests if call["endpoint"] == "revoke"]
    assert [call["status"] for call in revoked] == [200]


def test_wrong_password_keeps_the_user_on_salesforces_sign_in(
    owner_client, sf_emulator
):
    started = owner_client.post(
        "/orgs/connect/", {**FORM, "app": "default", "org_type": "production"}
    )

    answer = requests.post(
        started["Location"],
        data={"username": "admin@acme.example", "password": "wrong"},
        allow_redirects=False,
        timeout=5,
    )

    assert answer.status_code == 200
    assert "check your username and password" in answer.text


def test_instance_outside_the_allowed_hosts_is_refused(
    owner_client, sf_emulator, settings
):
    settings.SALESFORCE_ALLOWED_HOSTS = [".salesforce.com"]

    response = connect(owner_client, "default", "production", "admin@acme.example")

    assert response.status_code == 400
    assert "not an allowed Salesforce host" in response.content.decode()
    assert not Organization.objects.exists()


def test_secondary_org_refreshes_with_its_own_client_id(owner, sf_emulator):
    org = make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")

    result = refresh_access_token(org)

    refreshes = sf_emulator.token_requests(grant_type="refresh_token")
    assert [call["client_id"] for call in refreshes] == [app("sandbox_app").client_id]
    assert refreshes[0]["status"] == 200
    assert result.client_id_source == "stored"


def test_refreshing_a_secondary_org_with_the_default_client_id_fails_clearly(
    owner, sf_emulator
):
    org = make_emulated_org(
        owner, sf_emulator, "uat", "sandbox_app", oauth_client_id=None
    )

    with pytest.raises(ClientIdMismatch) as raised:
        refresh_access_token(org)

    assert "External client app is not installed in this org" in str(raised.value)
    assert "Sandbox connected app" in str(raised.value)
    org.refresh_from_db()
    assert org.needs_reconnect
    assert org.refresh_token


def test_legacy_org_refreshes_through_the_default_app(owner, sf_emulator, caplog):
    org = make_emulated_org(owner, sf_emulator, "prod", "default", oauth_client_id=None)

    with caplog.at_level(logging.WARNING):
        result = refresh_access_token(org)

    assert result.client_id_source == "fallback"
    assert "has no stored client ID" in caplog.text
    org.refresh_from_db()
    assert org.oauth_client_id == app("default").client_id


def test_rotation_stores_the_new_refresh_token_and_the_old_one_dies(owner, sf_emulator):
    org = make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")
    first_refresh_token = org.refresh_token

    refresh_access_token(org)

    org.refresh_from_db()
    assert org.refresh_token != first_refresh_token
    with pytest.raises(RefreshTokenInvalid):
        oauth.request_refresh(app("sandbox_app"), org.token_url, first_refresh_token)


def test_revoked_refresh_token_needs_reconnect_and_keeps_the_org(owner, sf_emulator):
    org = make_emulated_org(owner, sf_emulator, "prod", "default")
    sf_emulator.revoke_refresh_token(org.refresh_token)

    with pytest.raises(RefreshTokenInvalid):
        refresh_access_token(org)

    org.refresh_from_db()
    assert org.needs_reconnect
    assert org.name == "Acme Production"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_spend_a_rotating_token_once(
    owner, sf_live_emulator, settings
):
    settings.SALESFORCE_LOGIN_URL = sf_live_emulator.base_url
    org = make_emulated_org(
        owner,
        sf_live_emulator,
        "uat",
        "sandbox_app",
        login_url=sf_live_emulator.base_url,
    )
    start = threading.Barrier(2)
    results, errors = [], []

    def refresh_in_its_own_connection():
        caller_copy = Organization.objects.get(pk=org.pk)
        start.wait()
        try:
            results.append(refresh_access_token(caller_copy))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_in_its_own_connection) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(sf_live_emulator.token_requests(grant_type="refresh_token")) == 1
    assert len({result.org.access_token for result in results}) == 1
    assert sorted(result.reused for result in results) == [False, True]
