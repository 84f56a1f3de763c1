"""The data migration 0003 backfills oauth_client_id offline, and reverses."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orgs.connected_apps import get_registry
from tests.helpers import app

BEFORE = [("orgs", "0002_add_organization_oauth_client_id")]
AFTER = [("orgs", "0003_backfill_organization_oauth_client_id")]
PROD_ID = "00D5g00000AcmePEAR"
UAT_ID = "00D7Z00000AcmeUUAR"
DEV_ID = "00D000000000DevEAA"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def migrate():
    """Move the orgs app to a migration; put every app back at the end."""

    def run(targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield run

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def legacy_orgs(apps):
    """Save three orgs as they were before Ferry stored a client ID."""
    User = apps.get_model("auth", "User")
    Organization = apps.get_model("orgs", "Organization")
    owner = User.objects.create(username="legacy-owner")
    for org_id in (PROD_ID, UAT_ID, DEV_ID):
        Organization.objects.create(
            owner=owner,
            org_id=org_id,
            name=f"Org {org_id}",
            instance_url="https://acme.my.salesforce.com",
            login_url="https://login.salesforce.com",
        )


def client_ids(apps):
    Organization = apps.get_model("orgs", "Organization")
    return dict(Organization.objects.values_list("org_id", "oauth_client_id"))


def test_mapped_orgs_are_filled_and_the_rest_left_empty_with_two_apps(
    migrate, settings
):
    sandbox = app("sandbox_app").client_id
    settings.SALESFORCE_CLIENT_ID_BACKFILL = {UAT_ID: sandbox}
    assert len(get_registry().distinct_client_ids) == 2
    legacy_orgs(migrate(BEFORE))

    after = client_ids(migrate(AFTER))

    assert after == {PROD_ID: None, UAT_ID: sandbox, DEV_ID: None}


def test_fifteen_character_ids_in_the_map_name_the_same_org(migrate, settings):
    settings.SALESFORCE_CLIENT_ID_BACKFILL = {PROD_ID[:15]: "3MVG9Mapped"}
    legacy_orgs(migrate(BEFORE))

    after = client_ids(migrate(AFTER))

    assert after[PROD_ID] == "3MVG9Mapped"


def test_a_sole_connected_app_fills_every_org(migrate, settings):
    settings.SALESFORCE_APPS = []
    settings.SALESFORCE_CLIENT_ID_BACKFILL = {}
    default = get_registry().default.client_id
    legacy_orgs(migrate(BEFORE))

    after = client_ids(migrate(AFTER))

    assert after == {PROD_ID: default, UAT_ID: default, DEV_ID: default}


def test_map_wins_over_the_sole_app(migrate, settings):
    settings.SALESFORCE_APPS = []
    settings.SALESFORCE_CLIENT_ID_BACKFILL = {DEV_ID: "3MVG9Mapped"}
    legacy_orgs(migrate(BEFORE))

    after = client_ids(migrate(AFTER))

    assert after[DEV_ID] == "3MVG9Mapped"
    assert after[PROD_ID] == get_registry().default.client_id


def test_reversing_clears_what_the_backfill_filled(migrate, settings):
    settings.SALESFORCE_CLIENT_ID_BACKFILL = {UAT_ID: "3MVG9Mapped"}
    legacy_orgs(migrate(BEFORE))
    migrate(AFTER)

    before_again = client_ids(migrate(BEFORE))

    assert before_again == {PROD_ID: None, UAT_ID: None, DEV_ID: None}


def test_reversing_keeps_client_ids_the_backfill_did_not_set(migrate, settings):
    settings.SALESFORCE_CLIENT_ID_BACKFILL = {}
    apps = migrate(AFTER)
    legacy_orgs(apps)
    apps.get_model("orgs", "Organization").objects.filter(org_id=PROD_ID).update(
        oauth_client_id="3MVG9ConnectedLater"
    )

    before_again = client_ids(migrate(BEFORE))

    assert before_again[PROD_ID] == "3MVG9ConnectedLater"
