import base64
import hashlib
import hmac
import threading
import time

import pytest
import requests

from tests.emulator.helpers import (
    api_get,
    exchange,
    get_code,
    make_verifier,
    post_token,
    refresh,
)


@pytest.fixture
def prod_app(sf_emulator):
    return sf_emulator.app("default")


@pytest.fixture
def uat_app(sf_emulator):
    return sf_emulator.app("sandbox_app")


def _revoke(emulator, token):
    return requests.post(
        f"{emulator.base_url}/services/oauth2/revoke", data={"token": token}, timeout=5
    )


def _error(response):
    assert response.status_code == 400, response.text
    return response.json()


def test_code_exchange_answers_exactly_the_documented_fields(sf_emulator, prod_app):
    verifier = make_verifier()
    code = get_code(sf_emulator, prod_app, "admin@acme.example", verifier)

    tokens = exchange(sf_emulator, prod_app, code, verifier).json()

    assert list(tokens) == [
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    ]
    assert tokens["token_type"] == "Bearer"
    assert isinstance(tokens["issued_at"], str)
    assert abs(int(tokens["issued_at"]) - time.time() * 1000) < 60_000
    org_id, user_id = tokens["id"].rsplit("/", 2)[1:]
    assert tokens["id"] == f"{sf_emulator.base_url}/id/{org_id}/{user_id}"
    assert org_id == "00D5g00000AcmePEAR"
    assert user_id.startswith("005")
    assert len(user_id) == 18


def test_signature_verifies_with_the_client_secret(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    expected = hmac.new(
        prod_app.client_secret.encode(),
        (tokens["id"] + tokens["issued_at"]).encode(),
        hashlib.sha256,
    ).digest()

    assert tokens["signature"] == base64.b64encode(expected).decode()


def test_no_refresh_token_without_the_refresh_scope(sf_emulator, prod_app):
    code = get_code(sf_emulator, prod_app, "admin@acme.example", scope="api id")

    tokens = exchange(sf_emulator, prod_app, code).json()

    assert "refresh_token" not in tokens
    assert tokens["scope"] == "api id"


def test_wrong_verifier_is_invalid_request(sf_emulator, prod_app):
    code = get_code(sf_emulator, prod_app, "admin@acme.example", make_verifier())

    body = _error(exchange(sf_emulator, prod_app, code, make_verifier()))

    assert body["error"] == "invalid_request"


def test_missing_verifier_is_invalid_grant(sf_emulator, prod_app):
    code = get_code(sf_emulator, prod_app, "admin@acme.example", make_verifier())

    body = _error(exchange(sf_emulator, prod_app, code))

    assert body["error"] == "invalid_grant"


def test_reused_code_is_invalid_grant(sf_emulator, prod_app):
    verifier = make_verifier()
    code = get_code(sf_emulator, prod_app, "admin@acme.example", verifier)
    exchange(sf_emulator, prod_app, code, verifier)

    body = _error(exchange(sf_emulator, prod_app, code, verifier))

    assert body == {
        "error": "invalid_grant",
        "error_description": "invalid authorization code",
    }


def test_expired_code_is_invalid_grant(sf_emulator, prod_app):
    code = get_code(sf_emulator, prod_app, "admin@acme.example")
    sf_emulator.state.codes[code].expires_at = time.time() - 1

    body = _error(exchange(sf_emulator, prod_app, code))

    assert body["error_description"] == "authorization code expired"


def test_code_with_another_redirect_uri_is_refused(sf_emulator, prod_app):
    code = get_code(sf_emulator, prod_app, "admin@acme.example")

    body = _error(
        exchange(sf_emulator, prod_app, code, redirect_uri="http://testserver/other/")
    )

    assert body["error"] == "redirect_uri_mismatch"


def test_code_exchange_with_wrong_secret_is_invalid_client(sf_emulator, prod_app):
    code = get_code(sf_emulator, prod_app, "admin@acme.example")

    body = _error(exchange(sf_emulator, prod_app, code, client_secret="wrong"))

    assert body == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_missing_and_unknown_grant_types(sf_emulator, prod_app):
    missing = _error(post_token(sf_emulator, {"client_id": prod_app.client_id}))
    unknown = _error(post_token(sf_emulator, {"grant_type": "password"}))

    assert missing["error"] == "invalid_request"
    assert unknown == {
        "error": "unsupported_grant_type",
        "error_description": "grant type not supported",
    }


def test_refresh_with_the_issuing_client_succeeds_without_a_new_refresh_token(
    sf_emulator, prod_app
):
    tokens = sf_emulator.issue_tokens("prod", "default")

    response = refresh(sf_emulator, prod_app, tokens["refresh_token"])

    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    assert "expires_in" not in body
    assert body["access_token"] != tokens["access_token"]
    assert body["instance_url"] == tokens["instance_url"]


def test_refresh_against_the_instance_url_works(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    response = refresh(
        sf_emulator, prod_app, tokens["refresh_token"], base=tokens["instance_url"]
    )

    assert response.status_code == 200


def test_refresh_on_another_orgs_instance_is_invalid_grant(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    body = _error(
        refresh(
            sf_emulator,
            prod_app,
            tokens["refresh_token"],
            base=sf_emulator.instance_url("uat"),
        )
    )

    assert body["error"] == "invalid_grant"


def test_refresh_by_another_app_installed_in_the_org_is_invalid_grant(sf_emulator):
    second = sf_emulator.app("sandbox_app")
    second.installed_in.append("prod")
    tokens = sf_emulator.issue_tokens("prod", "default")

    body = _error(refresh(sf_emulator, second, tokens["refresh_token"]))

    assert body == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


def test_refresh_by_an_app_not_installed_in_the_org_is_app_not_found(
    sf_emulator, uat_app
):
    tokens = sf_emulator.issue_tokens("prod", "default")

    body = _error(refresh(sf_emulator, uat_app, tokens["refresh_token"]))

    assert body == {
        "error": "app_not_found",
        "error_description": "External client app is not installed in this org",
    }


def test_refresh_with_wrong_secret_is_invalid_client(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    body = _error(
        refresh(sf_emulator, prod_app, tokens["refresh_token"], client_secret="nope")
    )

    assert body == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_refresh_with_unknown_client_is_invalid_client_id(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    body = _error(
        refresh(
            sf_emulator,
            prod_app,
            tokens["refresh_token"],
            client_id="3MVG9NoSuchApp",
            client_secret=None,
        )
    )

    assert body == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }


def test_client_credentials_may_come_as_basic_auth(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")
    credentials = f"{prod_app.client_id}:{prod_app.client_secret}".encode()
    response = requests.post(
        f"{sf_emulator.base_url}/services/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Basic {base64.b64encode(credentials).decode()}"},
        timeout=5,
    )

    assert response.status_code == 200


def test_unknown_refresh_token_is_invalid_grant(sf_emulator, prod_app):
    body = _error(refresh(sf_emulator, prod_app, "5Aep861garbage"))

    assert body["error_description"] == "expired access/refresh token"


def test_rotation_returns_a_new_token_and_kills_the_old_one(sf_emulator, uat_app):
    tokens = sf_emulator.issue_tokens("uat", "sandbox_app")

    first = refresh(sf_emulator, uat_app, tokens["refresh_token"]).json()
    reused = refresh(sf_emulator, uat_app, tokens["refresh_token"])

    assert first["refresh_token"] != tokens["refresh_token"]
    assert _error(reused)["error"] == "invalid_grant"


def test_reusing_a_rotated_token_revokes_the_whole_family(sf_emulator, uat_app):
    tokens = sf_emulator.issue_tokens("uat", "sandbox_app")
    current = refresh(sf_emulator, uat_app, tokens["refresh_token"]).json()

    refresh(sf_emulator, uat_app, tokens["refresh_token"])
    after = refresh(sf_emulator, uat_app, current["refresh_token"])

    assert _error(after)["error"] == "invalid_grant"
    access = api_get(current, "/services/data/v65.0/limits")
    assert access.status_code == 401


def test_concurrent_refresh_of_one_rotating_token_is_refused(sf_live_emulator):
    sf_live_emulator.update_settings(token_delay_seconds=0.3)
    app = sf_live_emulator.app("sandbox_app")
    tokens = sf_live_emulator.issue_tokens("uat", "sandbox_app")
    results = []

    def run():
        results.append(refresh(sf_live_emulator, app, tokens["refresh_token"]))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()

    assert sorted(response.status_code for response in results) == [200, 400]
    winner = next(response for response in results if response.status_code == 200)
    again = refresh(sf_live_emulator, app, winner.json()["refresh_token"])
    assert again.status_code == 200


def test_sixth_authorization_revokes_the_oldest_refresh_token(sf_emulator, prod_app):
    grants = [sf_emulator.issue_tokens("prod", "default") for _ in range(6)]

    oldest = refresh(sf_emulator, prod_app, grants[0]["refresh_token"])
    second = refresh(sf_emulator, prod_app, grants[1]["refresh_token"])

    assert _error(oldest)["error"] == "invalid_grant"
    assert second.status_code == 200


def test_cap_counts_per_user(sf_emulator, prod_app):
    first = sf_emulator.issue_tokens("prod", "default")
    for _ in range(5):
        sf_emulator.issue_tokens("prod", "default", "release.manager@acme.example")

    response = refresh(sf_emulator, prod_app, first["refresh_token"])

    assert response.status_code == 200


def test_revoke_kills_refresh_and_access_tokens(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    revoked = _revoke(sf_emulator, tokens["refresh_token"])

    assert revoked.status_code == 200
    assert _error(refresh(sf_emulator, prod_app, tokens["refresh_token"]))
    assert api_get(tokens, "/services/data/v65.0/limits").status_code == 401


def test_revoking_an_access_token_keeps_the_refresh_token(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")

    _revoke(sf_emulator, tokens["access_token"])

    assert api_get(tokens, "/services/data/v65.0/limits").status_code == 401
    assert refresh(sf_emulator, prod_app, tokens["refresh_token"]).status_code == 200


def test_revoking_an_unknown_token_is_invalid_token(sf_emulator):
    response = _revoke(sf_emulator, "nonsense")

    assert _error(response)["error"] == "invalid_token"


def test_python_revoke_kills_the_family(sf_emulator, uat_app):
    tokens = sf_emulator.issue_tokens("uat", "sandbox_app")
    rotated = refresh(sf_emulator, uat_app, tokens["refresh_token"]).json()

    sf_emulator.revoke_refresh_token(tokens["refresh_token"])

    assert _error(refresh(sf_emulator, uat_app, rotated["refresh_token"]))


def test_userinfo_names_the_user_and_org(sf_emulator):
    tokens = sf_emulator.issue_tokens("uat", "sandbox_app")

    response = api_get(tokens, "/services/oauth2/userinfo")

    body = response.json()
    assert body["preferred_username"] == "admin@acme.example.uat"
    assert body["organization_id"] == "00D7Z00000AcmeUUAR"
    assert body["sub"] == tokens["id"]


def test_identity_url_answers_on_the_login_host(sf_emulator):
    tokens = sf_emulator.issue_tokens("prod", "default")
    response = requests.get(
        tokens["id"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )

    body = response.json()
    assert body["username"] == "admin@acme.example"
    assert body["urls"]["rest"].startswith(tokens["instance_url"])


def test_identity_url_refuses_an_expired_token(sf_emulator):
    tokens = sf_emulator.issue_tokens("prod", "default")
    sf_emulator.expire_access_tokens("prod")
    response = requests.get(
        tokens["id"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )

    assert response.status_code == 403


def test_introspect_reports_active_and_inactive_tokens(sf_emulator):
    tokens = sf_emulator.issue_tokens("prod", "default")
    url = f"{sf_emulator.base_url}/services/oauth2/introspect"
    active = requests.post(url, data={"token": tokens["access_token"]}, timeout=5)
    inactive = requests.post(url, data={"token": "nope"}, timeout=5)

    assert active.json()["active"] is True
    assert active.json()["username"] == "admin@acme.example"
    assert inactive.json() == {"active": False}


def test_deactivated_user_cannot_refresh(sf_emulator, prod_app):
    tokens = sf_emulator.issue_tokens("prod", "default")
    sf_emulator.org("prod").users[0].active = False

    body = _error(refresh(sf_emulator, prod_app, tokens["refresh_token"]))

    assert body == {"error": "invalid_grant", "error_description": "inactive user"}
