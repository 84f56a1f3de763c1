import pytest
from django.utils import timezone

from sync.models import MigrationPlan
from tests.helpers import make_emulated_org, make_org

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


@pytest.fixture
def prod_org(sf_emulator, owner):
    return make_emulated_org(owner, sf_emulator, "prod", "default")


@pytest.fixture
def uat_org(sf_emulator, owner):
    return make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")
