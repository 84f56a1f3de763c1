import pytest
from django.utils import timezone

from orgs.tokens import issued_at
from sync.models import MigrationPlan
from tests.helpers import make_org

UAT_ORG_ID = "00D5g00000AcmeUEAR"


@pytest.fixture
def source_org(owner):
    return make_org(owner, last_synced_at=timezone.now())


@pytest.fixture
def target_org(owner):
    return make_org(
        owner,
        org_id=UAT_ORG_ID,
        name="Acme UAT",
        org_type="sandbox",
        last_synced_at=timezone.now(),
    )


@pytest.fixture
def plan(owner, source_org, target_org):
    return MigrationPlan.objects.create(
        owner=owner, source_org=source_org, target_org=target_org
    )


def connect_emulator_org(emulator, owner, alias="prod", app="default", **overrides):
    """Save an org connected to ``emulator`` as the OAuth callback would."""
    token = emulator.issue_tokens(alias, app)
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
        "oauth_client_id": emulator.app(app).client_id,
    }
    fields.update(overrides)
    return make_org(owner, **fields)


@pytest.fixture
def prod_org(sf_emulator, owner):
    return connect_emulator_org(sf_emulator, owner, "prod", "default")


@pytest.fixture
def uat_org(sf_emulator, owner):
    return connect_emulator_org(sf_emulator, owner, "uat", "sandbox_app")
