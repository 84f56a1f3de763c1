"""Small HTTP helpers the emulator tests share."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import requests

CALLBACK = "http://testserver/orgs/oauth/callback/"
PASSWORD = "ferry-demo-pass"
TIMEOUT = 5


def make_verifier():
    return base64.urlsafe_b64encode(secrets.token_bytes(96)).rstrip(b"=").decode()


def challenge_for(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(app, verifier=None, **overrides):
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token id",
        "state": "st4te/with+odd=chars",
    }
    if verifier:
        params["code_challenge"] = challenge_for(verifier)
        params["code_challenge_method"] = "S256"
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def sign_in(emulator, params, username, password=PASSWORD, base=None):
    """Post the sign-in form and return the redirect response."""
    return requests.post(
        f"{base or emulator.base_url}/services/oauth2/authorize",
        data={**params, "username": username, "password": password, "action": "allow"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def callback_params(response):
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    return {key: values[0] for key, values in query.items()}


def get_code(emulator, app, username, verifier=None, **overrides):
    params = authorize_params(app, verifier, **overrides)
    return callback_params(sign_in(emulator, params, username))["code"]


def post_token(emulator, data, base=None):
    return requests.post(
        f"{base or emulator.base_url}/services/oauth2/token", data=data, timeout=TIMEOUT
    )


def exchange(emulator, app, code, verifier=None, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    data.update(overrides)
    return post_token(emulator, {k: v for k, v in data.items() if v is not None})


def refresh(emulator, app, refresh_token, base=None, **overrides):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    data.update(overrides)
    return post_token(emulator, {k: v for k, v in data.items() if v is not None}, base)


def api_get(tokens, path, headers=None, **params):
    return requests.get(
        f"{tokens['instance_url']}{path}",
        params=params,
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            **(headers or {}),
        },
        timeout=TIMEOUT,
    )


def query(tokens, soql, tooling=True, version="65.0", headers=None):
    kind = "tooling/query" if tooling else "query"
    return api_get(tokens, f"/services/data/v{version}/{kind}", headers, q=soql)


def query_all_pages(tokens, soql, tooling=True, headers=None):
    """Follow nextRecordsUrl; return (pages, records)."""
    page = query(tokens, soql, tooling, headers=headers).json()
    pages = [page]
    while not page["done"]:
        page = api_get(tokens, page["nextRecordsUrl"], headers).json()
        pages.append(page)
    records = [record for item in pages for record in item["records"]]
    return pages, records
