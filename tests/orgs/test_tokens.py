"""The refresh service against precise Salesforce answers (no emulator)."""

import json
import logging
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.db import connection

from orgs.exceptions import (
    ClientIdMismatch,
    ConnectionBroken,
    InvalidResponse,
    RefreshTokenInvalid,
    SalesforceUnavailable,
    UnknownClientId,
    UntrustedHost,
)
from orgs.models import Organization, TokenEvent
from orgs.tokens import refresh_access_token
from tests.helpers import (
    EMULATOR_URL,
    ISSUED_AT,
    TOKEN_URL,
    app,
    make_org,
    token_answer,
)

pytestmark = pytest.mark.django_db


def sent_form(call):
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


@responses.activate
def test_secondary_org_refreshes_with_its_own_client_id_and_secret(owner):
    sandbox = app("sandbox_app")
    org = make_org(owner, oauth_client_id=sandbox.client_id)
    responses.post(TOKEN_URL, json=token_answer(sandbox))

    result = refresh_access_token(org)

    form = sent_form(responses.calls[0])
    assert form["grant_type"] == "refresh_token"
    assert form["client_id"] == sandbox.client_id
    assert form["client_secret"] == sandbox.client_secret
    assert form["refresh_token"] == "5Aep-stored-refresh-token"
    assert result.client_id == sandbox.client_id
    assert result.client_id_source == "stored"
    org.refresh_from_db()
    assert org.access_token == "00D5g00000AcmeP!fresh-access-token"


@responses.activate
def test_answer_without_refresh_token_keeps_the_stored_one(owner):
    org = make_org(owner)
    responses.post(TOKEN_URL, json=token_answer(app("default")))

    refresh_access_token(org)

    org.refresh_from_db()
    assert org.refresh_token == "5Aep-stored-refresh-token"
    assert org.token_issued_at.timestamp() == int(ISSUED_AT) / 1000
    assert org.token_expires_at is None


@responses.activate
def test_rotated_refresh_token_replaces_the_stored_one(owner):
    org = make_org(owner)
    answer = token_answer(app("default"), refresh_token="5Aep-rotated")
    responses.post(TOKEN_URL, json=answer)

    refresh_access_token(org)

    org.refresh_from_db()
    assert org.refresh_token == "5Aep-rotated"


@responses.activate
def test_moved_instance_url_is_stored(owner):
    org = make_org(owner)
    moved = f"{EMULATOR_URL}/instances/prod-moved"
    responses.post(TOKEN_URL, json=token_answer(app("default"), instance_url=moved))

    refresh_access_token(org)

    org.refresh_from_db()
    assert org.instance_url == moved


@responses.activate
def test_instance_url_on_a_foreign_host_is_refused_and_nothing_stored(owner):
    org = make_org(owner)
    foreign = "https://attacker.example.com"
    responses.post(TOKEN_URL, json=token_answer(app("default"), instance_url=foreign))

    with pytest.raises(UntrustedHost, match=r"attacker\.example\.com"):
        refresh_access_token(org)

    org.refresh_from_db()
    assert org.access_token == "00D5g00000AcmeP!stale-access-token"
    assert org.instance_url == f"{EMULATOR_URL}/instances/prod"


@responses.activate
def test_answer_with_a_bad_signature_is_not_trusted(owner):
    org = make_org(owner)
    responses.post(TOKEN_URL, json=token_answer(app("default"), signature="Zm9v"))

    with pytest.raises(InvalidResponse, match="signature"):
        refresh_access_token(org)

    org.refresh_from_db()
    assert org.access_token == "00D5g00000AcmeP!stale-access-token"


@responses.activate
def test_refreshing_with_the_wrong_client_id_explains_the_mismatch(owner):
    org = make_org(owner)  # really authorized through sandbox_app
    responses.post(
        TOKEN_URL,
        status=400,
        json={
            "error": "app_not_found",
            "error_description": "External client app is not installed in this org",
        },
    )

    with pytest.raises(ClientIdMismatch) as raised:
        refresh_access_token(org)

    message = raised.value.user_message
    assert "Client ID mismatch" in message
    assert app("default").fingerprint in message
    assert "Sandbox connected app" in message
    assert "backfill_oauth_client_ids" in message
    assert "External client app is not installed in this org" in message
    org.refresh_from_db()
    assert org.needs_reconnect
    assert org.refresh_token == "5Aep-stored-refresh-token"


@responses.activate
def test_revoked_refresh_token_marks_the_org_without_losing_anything(owner):
    org = make_org(owner)
    responses.post(
        TOKEN_URL,
        status=400,
        json={
            "error": "invalid_grant",
            "error_description": "expired access/refresh token",
        },
    )

    with pytest.raises(RefreshTokenInvalid, match="needs to be reconnected"):
        refresh_access_token(org)

    org.refresh_from_db()
    assert org.status == Organization.Status.NEEDS_RECONNECT
    assert org.refresh_token == "5Aep-stored-refresh-token"
    assert org.oauth_client_id == app("default").client_id
    assert Organization.objects.filter(pk=org.pk).exists()


@responses.activate
def test_org_needing_reconnect_is_not_refreshed_again(owner):
    org = make_org(owner, status=Organization.Status.NEEDS_RECONNECT, last_error="Gone")

    with pytest.raises(ConnectionBroken, match="Gone"):
        refresh_access_token(org)

    assert len(responses.calls) == 0


@responses.activate
def test_a_broken_org_leaves_other_orgs_refreshing(owner):
    broken = make_org(owner, status=Organization.Status.NEEDS_RECONNECT)
    healthy = make_org(owner, org_id="00D5g00000AcmeUEAR", name="Acme UAT")
    responses.post(TOKEN_URL, json=token_answer(app("default")))

    with pytest.raises(ConnectionBroken):
        refresh_access_token(broken)
    refresh_access_token(healthy)

    healthy.refresh_from_db()
    assert healthy.status == Organization.Status.CONNECTED


@responses.activate
def test_legacy_org_falls_back_to_the_default_app_and_says_so(owner, caplog):
    org = make_org(owner, oauth_client_id=None)
    responses.post(TOKEN_URL, json=token_answer(app("default")))

    with caplog.at_level(logging.WARNING, logger="orgs.tokens"):
        result = refresh_access_token(org)

    assert result.client_id_source == "fallback"
    assert sent_form(responses.calls[0])["client_id"] == app("default").client_id
    assert "no stored client ID" in caplog.text
    assert "backfill_oauth_client_ids" in caplog.text
    event = TokenEvent.objects.get(organization=org)
    assert event.client_id_source == TokenEvent.ClientIdSource.FALLBACK
    assert event.outcome == TokenEvent.Outcome.SUCCESS


@responses.activate
def test_org_with_an_unconfigured_client_id_is_told_how_to_fix_it(owner):
    org = make_org(owner, oauth_client_id="3MVG9SomeRetiredConnectedAppKey0000")

    with pytest.raises(UnknownClientId, match="SALESFORCE_APPS"):
        refresh_access_token(org)

    assert len(responses.calls) == 0


@responses.activate
def test_unavailable_salesforce_is_retried_before_succeeding(owner):
    org = make_org(owner)
    responses.post(TOKEN_URL, status=503, body="<html>down</html>")
    responses.post(TOKEN_URL, json=token_answer(app("default")))

    refresh_access_token(org)

    assert len(responses.calls) == 2


@responses.activate
def test_persistent_outage_gives_up_and_leaves_the_org_untouched(owner):
    org = make_org(owner)
    responses.post(TOKEN_URL, status=503, body="<html>down</html>")

    with pytest.raises(SalesforceUnavailable, match="Try again later"):
        refresh_access_token(org)

    assert len(responses.calls) == 3
    org.refresh_from_db()
    assert org.status == Organization.Status.CONNECTED
    assert org.access_token == "00D5g00000AcmeP!stale-access-token"


@responses.activate
def test_read_timeout_is_not_retried_since_the_token_may_be_spent(owner):
    org = make_org(owner)
    responses.post(TOKEN_URL, body=requests.ReadTimeout("slow"))

    with pytest.raises(SalesforceUnavailable, match="in time"):
        refresh_access_token(org)

    assert len(responses.calls) == 1


@responses.activate
def test_garbage_json_is_reported_without_changing_the_org(owner):
    org = make_org(owner)
    responses.post(TOKEN_URL, body="{not json", content_type="application/json")

    with pytest.raises(InvalidResponse, match="not JSON"):
        refresh_access_token(org)

    org.refresh_from_db()
    assert org.status == Organization.Status.CONNECTED


@responses.activate
def test_tokens_and_secrets_never_reach_the_log(owner, caplog):
    org = make_org(owner, oauth_client_id=None)
    answer = token_answer(app("default"), refresh_token="5Aep-rotated-secret")
    responses.post(TOKEN_URL, json=answer)

    with caplog.at_level(logging.DEBUG):
        refresh_access_token(org)

    for secret in (
        "5Aep-stored-refresh-token",
        "5Aep-rotated-secret",
        "fresh-access-token",
        app("default").client_secret,
    ):
        assert secret not in caplog.text


def test_tokens_are_unreadable_in_the_database(owner):
    org = make_org(owner)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM orgs_organization WHERE id = %s",
            [org.pk],
        )
        stored = json.dumps(cursor.fetchone())

    assert "stale-access-token" not in stored
    assert "stored-refresh-token" not in stored
    org.refresh_from_db()
    assert org.refresh_token == "5Aep-stored-refresh-token"
