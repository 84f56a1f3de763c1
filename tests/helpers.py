"""Small builders for test data, with defaults a test overrides by keyword."""

from datetime import UTC, datetime

from django.conf import settings

from orgs.connected_apps import get_registry
from orgs.models import Organization

EMULATOR_URL = "http://127.0.0.1:5999"


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


def app(key):
    return get_registry().by_key(key)
