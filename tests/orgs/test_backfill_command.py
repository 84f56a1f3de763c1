"""manage.py backfill_oauth_client_ids: --map, --default, --probe, --dry-run."""

import pytest
from django.core.management import CommandError

from orgs.backfill import BackfillError, backfill_client_ids, parse_map
from orgs.models import Organization, TokenEvent
from orgs.tokens import refresh_access_token
from tests.helpers import app, make_emulated_org, make_org
from tests.orgs.helpers import run_command, run_failing_command

pytestmark = pytest.mark.django_db

PROD_ID = "00D5g00000AcmePEAR"
UAT_ID = "00D7Z00000AcmeUUAR"


@pytest.fixture
def legacy(owner):
    """Two orgs saved before Ferry stored client IDs; two apps configured."""
    prod = make_org(owner, oauth_client_id=None)
    uat = make_org(owner, org_id=UAT_ID, name="Acme UAT", oauth_client_id=None)
    return prod, uat


@pytest.fixture
def emulated_legacy(owner, sf_emulator):
    """Legacy orgs with live emulator tokens: prod from the default app, UAT
    from the sandbox app, which rotates refresh tokens."""
    return [
        make_emulated_org(owner, sf_emulator, alias, key, oauth_client_id=None)
        for alias, key in (("prod", "default"), ("uat", "sandbox_app"))
    ]


def backfill(*args):
    return run_command("backfill_oauth_client_ids", *args)


def backfill_failing(*args):
    output, error = run_failing_command("backfill_oauth_client_ids", *args)
    return output, str(error)


def client_ids():
    return dict(Organization.objects.values_list("org_id", "oauth_client_id"))


def test_map_fills_the_named_org_and_reports_the_rest_unresolved(legacy):
    sandbox = app("sandbox_app")

    output, error = backfill_failing("--map", f"{UAT_ID}={sandbox.client_id}")

    assert client_ids() == {PROD_ID: None, UAT_ID: sandbox.client_id}
    assert f"{UAT_ID} Acme UAT (olivia): {sandbox.fingerprint} by map" in output
    assert f"{PROD_ID} Acme Production (olivia): unresolved: 2 connected apps" in output
    assert "1 org(s) left without a client ID" in error


def test_map_accepts_fifteen_character_org_ids(legacy):
    sandbox = app("sandbox_app")

    backfill("--map", f"{UAT_ID[:15]}={sandbox.client_id}", "--default")

    assert client_ids()[UAT_ID] == sandbox.client_id


def test_default_fills_everything_left_and_exits_zero(legacy):
    sandbox, default = app("sandbox_app"), app("default")

    output = backfill("--map", f"{UAT_ID}={sandbox.client_id}", "--default")

    assert client_ids() == {PROD_ID: default.client_id, UAT_ID: sandbox.client_id}
    assert f"{PROD_ID} Acme Production (olivia): {default.fingerprint} by default" in (
        output
    )
    assert "2 of 2 orgs were given a client ID" in output


def test_a_second_run_has_nothing_to_do(legacy):
    backfill("--default")

    output = backfill("--default")

    assert output.strip() == "Nothing to do: every org has a client ID."


def test_a_sole_connected_app_needs_no_option(legacy, settings):
    settings.SALESFORCE_APPS = []
    default = app("default")

    output = backfill()

    assert set(client_ids().values()) == {default.client_id}
    assert "by sole app" in output


def test_setting_the_client_id_lets_a_broken_org_refresh_again(owner):
    org = make_org(
        owner,
        oauth_client_id=None,
        status=Organization.Status.NEEDS_RECONNECT,
        last_error="Client ID mismatch",
    )

    backfill("--default")

    org.refresh_from_db()
    assert org.status == Organization.Status.CONNECTED
    assert org.last_error == ""


def test_dry_run_decides_and_prints_but_changes_nothing(legacy):
    output = backfill("--default", "--dry-run")

    assert client_ids() == {PROD_ID: None, UAT_ID: None}
    assert output.count("by default") == 2
    assert "2 of 2 orgs would be given a client ID. Dry run" in output


def test_dry_run_still_fails_when_orgs_would_stay_unresolved(legacy):
    output, error = backfill_failing("--dry-run")

    assert output.count("unresolved") == 2
    assert "2 org(s) left without a client ID" in error


def test_orgs_with_a_client_id_are_never_touched(owner, legacy):
    connected = make_org(
        owner, org_id="00D000000000ConEAA", oauth_client_id="3MVG9Unconfigured"
    )

    backfill("--default")

    connected.refresh_from_db()
    assert connected.oauth_client_id == "3MVG9Unconfigured"


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("00D5g00000AcmePEAR", "expected ORG_ID=CLIENT_ID"),
        ("001000000000001AAA=3MVG9FerryDefault", "not a Salesforce org ID"),
        (f"{PROD_ID}=3MVG9NotConfigured", "not one of the configured connected"),
        ("00D000000000NopEAA=DEFAULT", "Ferry has no org with that ID"),
    ],
)
def test_a_bad_map_is_refused_before_anything_changes(legacy, pair, message):
    pair = pair.replace("DEFAULT", app("default").client_id)

    _output, error = backfill_failing("--map", pair, "--default")

    assert message in error
    assert client_ids() == {PROD_ID: None, UAT_ID: None}


def test_one_org_mapped_to_two_apps_is_refused():
    pairs = [f"{PROD_ID}={app(key).client_id}" for key in ("default", "sandbox_app")]

    with pytest.raises(BackfillError, match="twice"):
        parse_map(pairs)


def test_default_and_probe_cannot_be_combined(legacy):
    with pytest.raises(CommandError, match="not allowed with"):
        backfill("--default", "--probe")

    with pytest.raises(BackfillError, match="not both"):
        backfill_client_ids(use_default=True, probe=True)


def test_default_needs_a_default_app(legacy, settings):
    settings.SALESFORCE_CLIENT_ID = ""

    _output, error = backfill_failing("--default")

    assert "SALESFORCE_CLIENT_ID" in error


# --probe, against the emulator


def test_probe_keeps_the_app_salesforce_accepts(emulated_legacy, sf_emulator):
    default, sandbox = app("default"), app("sandbox_app")

    output = backfill("--probe")

    assert client_ids() == {PROD_ID: default.client_id, UAT_ID: sandbox.client_id}
    assert f"{sandbox.fingerprint} by probe: Sandbox connected app accepted" in output
    # Prod stops at the first app; UAT is refused by the default app first.
    asked = sf_emulator.token_requests(grant_type="refresh_token")
    assert [request["client_id"] for request in asked] == [
        default.client_id,
        default.client_id,
        sandbox.client_id,
    ]


def test_probe_stores_the_rotated_refresh_token_at_once(emulated_legacy):
    _prod, uat = emulated_legacy
    spent = uat.refresh_token

    backfill("--probe")

    uat.refresh_from_db()
    assert uat.refresh_token != spent
    assert uat.status == Organization.Status.CONNECTED
    # The stored token is the live one: a normal refresh works with it.
    assert refresh_access_token(uat).client_id == app("sandbox_app").client_id


def test_probe_records_the_successful_refresh(emulated_legacy):
    _prod, uat = emulated_legacy

    backfill("--probe")

    event = uat.token_events.get()
    assert event.kind == TokenEvent.Kind.REFRESH
    assert event.outcome == TokenEvent.Outcome.SUCCESS
    assert event.client_id == app("sandbox_app").client_id


def test_probe_output_shows_no_token(emulated_legacy):
    secrets = [org.refresh_token for org in emulated_legacy]

    output = backfill("--probe", "--verbosity", "2")

    for org in Organization.objects.all():
        secrets += [org.access_token, org.refresh_token]
    assert not [secret for secret in secrets if secret in output]


def test_probe_dry_run_does_not_call_salesforce(emulated_legacy, sf_emulator):
    output = backfill("--probe", "--dry-run")

    assert sf_emulator.token_requests() == []
    assert client_ids() == {PROD_ID: None, UAT_ID: None}
    assert output.count("to probe (would try up to 2 connected apps") == 2
    assert "a dry run does not call Salesforce" in output
    assert "2 would be probed" in output


def test_probe_reports_an_org_no_app_accepts(emulated_legacy, sf_emulator):
    _prod, uat = emulated_legacy
    sf_emulator.revoke_refresh_token(uat.refresh_token)

    output, error = backfill_failing("--probe")

    assert client_ids()[UAT_ID] is None
    assert (
        "unresolved: no configured app accepted the refresh token "
        "(Default connected app: invalid_grant; "
        "Sandbox connected app: invalid_grant); reconnect the org"
    ) in output
    assert "1 org(s) left without a client ID" in error


def test_probe_stops_trying_apps_after_a_transient_failure(
    emulated_legacy, sf_emulator
):
    sf_emulator.fail_next(3, "unavailable", org="uat", endpoint="token")

    output, _error = backfill_failing("--probe")

    sandbox = app("sandbox_app").client_id
    assert sf_emulator.token_requests(client_id=sandbox) == []
    assert "unresolved: stopped at Default connected app" in output


def test_probe_skips_an_org_without_refresh_token(owner, sf_emulator):
    make_org(owner, oauth_client_id=None, refresh_token="")

    output, _error = backfill_failing("--probe")

    assert "unresolved: no refresh token to probe with" in output
    assert sf_emulator.token_requests() == []
