"""manage.py reencrypt_tokens moves every stored token to the newest key."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError
from django.db import connection

from orgs import crypto
from orgs.key_rotation import reencrypt_stored_tokens
from orgs.models import AuthorizationAttempt
from tests.helpers import make_org
from tests.orgs.helpers import make_attempt, run_command

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
ACCESS = "00D5g00000AcmeP!stale-access-token"
REFRESH = "5Aep-stored-refresh-token"
VERIFIER = "pkce-verifier-0123456789"


@pytest.fixture
def under_key_a(settings, owner):
    """An org and a pending sign-in, encrypted with key A alone."""
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_A]
    org = make_org(owner, access_token=ACCESS, refresh_token=REFRESH)
    attempt = make_attempt(owner, code_verifier=VERIFIER)
    return org, attempt


def raw_values():
    """Every stored ciphertext, read past the encrypted fields."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM orgs_organization")
        values = [value for row in cursor.fetchall() for value in row]
        cursor.execute("SELECT code_verifier FROM orgs_authorizationattempt")
        values += [row[0] for row in cursor.fetchall()]
    return values


def run(*args):
    return run_command("reencrypt_tokens", *args)


def test_tokens_still_decrypt_once_the_old_key_is_gone(settings, under_key_a):
    org, attempt = under_key_a
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    run()

    settings.TOKEN_ENCRYPTION_KEYS = [KEY_B]
    org.refresh_from_db()
    assert org.access_token == ACCESS
    assert org.refresh_token == REFRESH
    assert AuthorizationAttempt.objects.get(pk=attempt.pk).code_verifier == VERIFIER


def test_each_value_is_encrypted_once_not_twice(settings, under_key_a):
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    run()

    newest = Fernet(KEY_B.encode())
    plaintexts = [newest.decrypt(value.encode()).decode() for value in raw_values()]
    assert plaintexts == [ACCESS, REFRESH, VERIFIER]


def test_counts_are_reported_and_no_token_printed(settings, under_key_a):
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    output = run()

    assert "orgs.Organization.access_token: 1 re-encrypted, 0 empty" in output
    assert "orgs.AuthorizationAttempt.code_verifier: 1 re-encrypted" in output
    assert "3 value(s) re-encrypted" in output
    for secret in (ACCESS, REFRESH, VERIFIER):
        assert secret not in output


def test_empty_tokens_are_counted_and_left_empty(owner):
    make_org(owner, access_token="")

    counts = {count.label: count for count in reencrypt_stored_tokens()}

    assert counts["orgs.Organization.access_token"].empty == 1
    assert counts["orgs.Organization.refresh_token"].reencrypted == 1
    assert raw_values()[0] == ""
    assert crypto.decrypt(raw_values()[1]) == "5Aep-stored-refresh-token"


def test_dry_run_changes_nothing(settings, under_key_a):
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    before = raw_values()

    output = run("--dry-run")

    assert raw_values() == before
    assert "3 value(s) would be re-encrypted" in output
    assert "Dry run" in output


def test_an_undecryptable_token_stops_everything(settings, under_key_a):
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_B]
    before = raw_values()

    with pytest.raises(CommandError, match=r"orgs\.Organization .*access_token"):
        run()

    assert raw_values() == before
    settings.TOKEN_ENCRYPTION_KEYS = [KEY_A]
    assert crypto.decrypt(raw_values()[0]) == ACCESS
