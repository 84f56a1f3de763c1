"""Tokens and verifiers are stored as ciphertext, never as plaintext."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from orgs import crypto
from orgs.models import AuthorizationAttempt, Organization
from tests.helpers import make_org
from tests.orgs.helpers import make_attempt

pytestmark = pytest.mark.django_db

ACCESS = "00D5g00000AcmeP!stale-access-token"
REFRESH = "5Aep-stored-refresh-token"


def raw_row(table, columns, pk):
    # Only the test's own literals are interpolated.
    sql = f"SELECT {columns} FROM {table} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()


def test_org_tokens_are_unreadable_in_the_database(owner):
    org = make_org(owner, access_token=ACCESS, refresh_token=REFRESH)

    row = raw_row("orgs_organization", "access_token, refresh_token", org.pk)

    assert ACCESS not in row[0]
    assert REFRESH not in row[1]
    assert crypto.decrypt(row[0]) == ACCESS
    assert crypto.decrypt(row[1]) == REFRESH


def test_tokens_read_back_as_plaintext_through_the_model(owner):
    org = make_org(owner, access_token=ACCESS, refresh_token=REFRESH)

    stored = Organization.objects.get(pk=org.pk)

    assert stored.access_token == ACCESS
    assert stored.refresh_token == REFRESH


def test_the_same_token_encrypts_differently_each_time(owner):
    first = make_org(owner, refresh_token=REFRESH)
    second = make_org(owner, org_id="00D7Z00000AcmeUUAR", refresh_token=REFRESH)

    first_raw = raw_row("orgs_organization", "refresh_token", first.pk)[0]
    second_raw = raw_row("orgs_organization", "refresh_token", second.pk)[0]

    assert first_raw != second_raw


def test_empty_token_stays_empty_without_encryption(owner):
    org = make_org(owner, access_token="")

    assert raw_row("orgs_organization", "access_token", org.pk)[0] == ""


def test_pkce_verifier_is_unreadable_in_the_database(owner):
    verifier = "pkce-verifier-kept-secret-0123456789"
    attempt = make_attempt(owner, code_verifier=verifier)

    raw = raw_row("orgs_authorizationattempt", "code_verifier", attempt.pk)[0]

    assert verifier not in raw
    assert AuthorizationAttempt.objects.get(pk=attempt.pk).code_verifier == verifier


def test_token_under_an_unknown_key_is_a_clear_error(owner, settings):
    org = make_org(owner)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.TokenDecryptionError, match="TOKEN_ENCRYPTION_KEYS"):
        Organization.objects.get(pk=org.pk)
