"""Small builders for test data, with defaults a test overrides by keyword."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from django.conf import settings

from orgs.connected_apps import get_registry
from orgs.models import Organization
from orgs.tokens import issued_at

EMULATOR_URL = "http://127.0.0.1:5999"
TOKEN_URL = f"{EMULATOR_URL}/services/oauth2/token"
ISSUED_AT = "1796900000000"
IDENTITY = f"{EMULATOR_URL}/id/00D5g00000AcmePEAR/0055g00000AdminQAA"


def make_org(owner, **overrides) -> Organization:
    fields = {
        "org_id": "00D5g00000AcmePEAR",
        "name": "Acme Production",
        "org_type": Organization.OrgType.PRODUCTION,
        "instance_url": f"{EMULATOR_URL}/instances/prod",
        "login_url": settings.SALESFORCE_LOGIN_URL,
        "access_token": "00D5g00000AcmeP!stale-access-token",
        "refresh_token": "5Aep-stored-refresh-token",
        "token_issued_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        "oauth_client_id": get_registry().default.client_id,
        "api_version": "66.0",
    }
    fields.update(overrides)
    return Organization.objects.create(owner=owner, **fields)


def make_emulated_org(owner, emulator, alias="prod", app_key="default", **overrides):
    """Save ``alias`` as the OAuth callback would after authorizing ``app_key``."""
    token = emulator.issue_tokens(alias, app_key)
    remote = emulator.org(alias)
    fields = {
        "org_id": remote.org_id,
        "name": remote.name,
        "org_type": remote.type,
        "instance_url": token["instance_url"],
        "login_url": emulator.login_url(),
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "token_issued_at": issued_at(token),
        "oauth_client_id": emulator.app(app_key).client_id,
    }
    fields.update(overrides)
    return make_org(owner, **fields)


def app(key):
    return get_registry().by_key(key)


def token_answer(connected_app, **fields):
    """A signed token-endpoint answer as Salesforce sends it."""
    answer = {
        "access_token": "00D5g00000AcmeP!fresh-access-token",
        "instance_url": f"{EMULATOR_URL}/instances/prod",
        "id": IDENTITY,
        "token_type": "Bearer",
        "issued_at": ISSUED_AT,
        "scope": "api refresh_token id",
    }
    answer.update(fields)
    message = f"{answer['id']}{answer['issued_at']}".encode()
    digest = hmac.new(connected_app.client_secret.encode(), message, hashlib.sha256)
    answer.setdefault("signature", base64.b64encode(digest.digest()).decode())
    return answer
