import html
import re

import pytest
import requests

from tests.emulator.helpers import (
    TIMEOUT,
    authorize_params,
    callback_params,
    exchange,
    make_verifier,
    sign_in,
)
from tests.salesforce_emulator import Emulator, EmulatorServer


@pytest.fixture
def prod_app(sf_emulator):
    return sf_emulator.app("default")


def _get_authorize(emulator, params, base=None):
    return requests.get(
        f"{base or emulator.base_url}/services/oauth2/authorize",
        params=params,
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def test_authorize_shows_a_sign_in_form_with_the_login_hint(sf_emulator, prod_app):
    params = authorize_params(prod_app, login_hint="admin@acme.example")

    response = _get_authorize(sf_emulator, params)

    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'value="admin@acme.example"' in response.text
    assert 'name="code_challenge"' not in response.text


def test_full_pkce_flow_returns_code_and_untouched_state(sf_emulator, prod_app):
    verifier = make_verifier()
    params = authorize_params(prod_app, verifier)

    callback = callback_params(sign_in(sf_emulator, params, "admin@acme.example"))
    response = exchange(sf_emulator, prod_app, callback["code"], verifier)

    assert callback["state"] == "st4te/with+odd=chars"
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["instance_url"] == sf_emulator.instance_url("prod")
    assert tokens["access_token"].startswith("00D5g00000AcmeP!")
    assert tokens["refresh_token"]
    assert tokens["scope"] == "api refresh_token id"


def test_code_needs_url_decoding(sf_emulator, prod_app):
    params = authorize_params(prod_app)

    response = sign_in(sf_emulator, params, "admin@acme.example")

    assert "%3D%3D" in response.headers["Location"]
    assert callback_params(response)["code"].endswith("==")


def test_redirect_keeps_the_callbacks_own_query(sf_emulator, prod_app):
    prod_app.redirect_uris.append("http://testserver/cb?tenant=1")
    params = authorize_params(prod_app, redirect_uri="http://testserver/cb?tenant=1")

    response = sign_in(sf_emulator, params, "admin@acme.example")

    assert response.headers["Location"].startswith("http://testserver/cb?tenant=1&")


def test_auto_approve_signs_in_the_login_hint_user(sf_emulator, prod_app):
    sf_emulator.update_settings(auto_approve=True)
    params = authorize_params(
        prod_app, make_verifier(), login_hint="release.manager@acme.example"
    )

    response = _get_authorize(sf_emulator, params)

    code = callback_params(response)["code"]
    assert sf_emulator.state.codes[code].user.username == "release.manager@acme.example"


def test_auto_approve_without_hint_signs_in_the_first_user(sf_emulator, prod_app):
    sf_emulator.update_settings(auto_approve=True)

    response = _get_authorize(sf_emulator, authorize_params(prod_app))

    code = callback_params(response)["code"]
    assert sf_emulator.state.codes[code].user.username == "admin@acme.example"


def test_wrong_password_shows_the_form_again(sf_emulator, prod_app):
    params = authorize_params(prod_app)

    response = sign_in(sf_emulator, params, "admin@acme.example", password="nope")

    assert response.status_code == 200
    assert "Please check your username and password" in response.text


def test_deny_redirects_with_access_denied(sf_emulator, prod_app):
    params = authorize_params(prod_app)

    response = requests.post(
        f"{sf_emulator.base_url}/services/oauth2/authorize",
        data={**params, "action": "deny"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    callback = callback_params(response)
    assert callback["error"] == "access_denied"
    assert callback["state"] == "st4te/with+odd=chars"


def test_app_not_installed_in_the_users_org_redirects_app_not_found(
    sf_emulator, prod_app
):
    params = authorize_params(prod_app)

    response = sign_in(sf_emulator, params, "admin@acme.example.uat")

    callback = callback_params(response)
    assert callback["error"] == "app_not_found"
    assert callback["error_description"] == (
        "External client app is not installed in this org"
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        (
            {"code_challenge": "abc", "code_challenge_method": "plain"},
            "invalid_request",
        ),
        ({"scope": "api chatter_api"}, "invalid_scope"),
        ({"scope": "api nonsense"}, "invalid_scope"),
    ],
)
def test_bad_request_redirects_with_error_and_state(
    sf_emulator, prod_app, overrides, error
):
    params = authorize_params(prod_app, **overrides)

    callback = callback_params(_get_authorize(sf_emulator, params))

    assert callback["error"] == error
    assert callback["state"] == "st4te/with+odd=chars"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "3MVG9Unknown"}, "invalid_client_id"),
        ({"redirect_uri": None}, "redirect_uri_missing"),
        ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri_mismatch"),
    ],
)
def test_untrusted_callback_errors_are_shown_not_redirected(
    sf_emulator, prod_app, overrides, error
):
    params = authorize_params(prod_app, **overrides)

    response = _get_authorize(sf_emulator, params)

    assert response.status_code == 400
    assert f'<span id="error">{error}</span>' in response.text


def test_loopback_callback_on_any_port_is_accepted_when_allowed(sf_emulator, prod_app):
    params = authorize_params(
        prod_app, redirect_uri="http://127.0.0.1:49152/orgs/oauth/callback/"
    )

    response = sign_in(sf_emulator, params, "admin@acme.example")

    assert response.headers["Location"].startswith("http://127.0.0.1:49152/")


def test_loopback_port_must_match_when_not_allowed(sf_emulator, prod_app):
    sf_emulator.update_settings(allow_loopback_redirects=False)
    params = authorize_params(
        prod_app, redirect_uri="http://127.0.0.1:49152/orgs/oauth/callback/"
    )

    response = _get_authorize(sf_emulator, params)

    assert response.status_code == 400


def test_my_domain_login_only_accepts_that_orgs_users(emulator_config):
    emulator_config["orgs"][0]["my_domain"] = "acme"
    emulator = Emulator(emulator_config)
    app = emulator.app("default")
    with EmulatorServer(emulator):
        base = emulator.instance_url("prod")
        params = authorize_params(app)

        other_org = sign_in(emulator, params, "admin@acme.example.uat", base=base)
        own_org = sign_in(emulator, params, "admin@acme.example", base=base)

    assert base.endswith("/domains/acme")
    assert other_org.status_code == 200
    assert callback_params(own_org)["code"]


def test_state_is_omitted_when_not_sent(sf_emulator, prod_app):
    params = authorize_params(prod_app, state=None)

    callback = callback_params(sign_in(sf_emulator, params, "admin@acme.example"))

    assert "state" not in callback


def test_sign_in_form_round_trips_like_a_browser(sf_live_emulator):
    app = sf_live_emulator.app("default")
    verifier = make_verifier()
    page = _get_authorize(sf_live_emulator, authorize_params(app, verifier))
    action = re.search(
        r'<form id="login_form" method="post" action="([^"]+)"', page.text
    )
    fields = dict(
        re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    )
    fields = {key: html.unescape(value) for key, value in fields.items()}

    response = requests.post(
        f"{sf_live_emulator.base_url}{action[1]}",
        data={
            **fields,
            "username": "admin@acme.example",
            "password": "ferry-demo-pass",
            "action": "allow",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    callback = callback_params(response)
    assert action[1] == "/services/oauth2/authorize"
    assert callback["state"] == "st4te/with+odd=chars"
    assert (
        exchange(sf_live_emulator, app, callback["code"], verifier).status_code == 200
    )
