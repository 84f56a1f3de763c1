"""manage.py check_connections names the orgs that need attention."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from orgs.models import Organization, TokenEvent
from tests.helpers import make_org
from tests.orgs.helpers import run_command, run_failing_command

pytestmark = pytest.mark.django_db

PROD_ID = "00D5g00000AcmePEAR"
UAT_ID = "00D7Z00000AcmeUUAR"


def event(org, outcome, minutes_ago, code=""):
    return TokenEvent.objects.create(
        organization=org,
        kind=TokenEvent.Kind.REFRESH,
        outcome=outcome,
        error_code=code,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def check(*args):
    return run_command("check_connections", *args)


def check_failing(*args):
    return run_failing_command("check_connections", *args)


def test_healthy_orgs_exit_zero(owner):
    org = make_org(owner)
    event(org, TokenEvent.Outcome.SUCCESS, minutes_ago=1)

    output = check()

    assert "All 1 orgs are connected." in output


def test_each_kind_of_trouble_is_listed_with_its_reason(owner):
    make_org(owner, name="Healthy")
    make_org(
        owner,
        org_id=UAT_ID,
        name="Revoked",
        status=Organization.Status.NEEDS_RECONNECT,
        last_error="Salesforce no longer accepts its refresh token.",
    )
    make_org(owner, org_id="00D000000000DevEAA", name="Legacy", oauth_client_id=None)
    failing = make_org(owner, org_id="00D000000000FaiEAA", name="Failing")
    event(failing, TokenEvent.Outcome.FAILURE, minutes_ago=1, code="UNAVAILABLE")

    output, error = check_failing()

    lines = output.splitlines()
    assert len(lines) == 3
    assert "Revoked" in output
    assert "needs reconnect: Salesforce no longer accepts" in output
    assert "Legacy (olivia): no client ID stored" in output
    assert "Failing (olivia): last token event failed (refresh: UNAVAILABLE)" in output
    assert "Healthy" not in output
    assert error.returncode == 1
    assert "3 org(s) need attention" in str(error)


def test_only_the_latest_event_counts(owner, other_user):
    # Events of other orgs come first so that event and org ids differ.
    recovered = make_org(owner, name="Recovered")
    broken = make_org(other_user, name="Broken")
    for minutes_ago in (30, 20, 10):
        event(recovered, TokenEvent.Outcome.SUCCESS, minutes_ago)
    event(recovered, TokenEvent.Outcome.FAILURE, minutes_ago=5, code="UNAVAILABLE")
    event(recovered, TokenEvent.Outcome.SUCCESS, minutes_ago=1)
    event(broken, TokenEvent.Outcome.SUCCESS, minutes_ago=5)
    event(broken, TokenEvent.Outcome.FAILURE, minutes_ago=1, code="UNAVAILABLE")

    attention = list(Organization.objects.needing_attention())

    assert attention == [broken]


def test_verbosity_zero_prints_nothing_but_still_fails(owner):
    make_org(owner, oauth_client_id=None)

    output, error = check_failing("--verbosity", "0")

    assert output == ""
    assert error.returncode == 1


def test_reasons_without_the_annotation_read_the_latest_event(owner):
    org = make_org(owner, oauth_client_id="")
    event(org, TokenEvent.Outcome.FAILURE, minutes_ago=1, code="invalid_grant")

    reasons = org.attention_reasons()

    assert reasons[0].startswith("no client ID stored")
    assert reasons[1] == "last token event failed (refresh: invalid_grant)"


def test_help_says_it_exits_non_zero(capsys):
    with pytest.raises(SystemExit):
        call_command("check_connections", "--help")

    assert "Exits with status 1" in capsys.readouterr().out
