"""Builders and command runners shared by the orgs tests."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orgs.models import AuthorizationAttempt, Organization
from tests.helpers import EMULATOR_URL, app


def make_attempt(user, **overrides) -> AuthorizationAttempt:
    fields = {
        "session_key": "session",
        "state": "state-1",
        "code_verifier": "pkce-verifier-0123456789",
        "client_id": app("default").client_id,
        "login_url": EMULATOR_URL,
        "redirect_uri": "http://testserver/orgs/oauth/callback/",
        "org_type": Organization.OrgType.PRODUCTION,
    }
    fields.update(overrides)
    return AuthorizationAttempt.objects.create(user=user, **fields)


def run_command(name, *args) -> str:
    """Run a management command; return what it printed."""
    stdout = StringIO()
    call_command(name, *args, stdout=stdout)
    return stdout.getvalue()


def run_failing_command(name, *args) -> tuple[str, CommandError]:
    """Run a command expected to fail; return its output and the error."""
    stdout = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(name, *args, stdout=stdout)
    return stdout.getvalue(), raised.value
