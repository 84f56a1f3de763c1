"""The Django admin for orgs: columns, client ID editing, tokens, actions."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from orgs.models import AuthorizationAttempt, Organization, TokenEvent
from tests.helpers import app, make_emulated_org, make_org

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orgs_organization_changelist")
UAT_ID = "00D7Z00000AcmeUUAR"
ACCESS = "00D5g00000AcmeP!stale-access-token"
REFRESH = "5Aep-stored-refresh-token"


def change_url(org):
    return reverse("admin:orgs_organization_change", args=[org.pk])


def change_form_data(staff_client, org, **changes):
    """The org's change form as the page renders it, with ``changes`` made."""
    response = staff_client.get(change_url(org))
    form = response.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    data.update(changes)
    return data


def run_action(staff_client, action, *orgs):
    response = staff_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [org.pk for org in orgs]},
        follow=True,
    )
    return [str(message) for message in get_messages(response.wsgi_request)]


# The list


def test_list_shows_app_label_shortened_client_id_and_status(staff_client, owner):
    make_org(owner, oauth_client_id=app("sandbox_app").client_id)
    make_org(
        owner,
        org_id=UAT_ID,
        name="Acme UAT",
        oauth_client_id=None,
        status=Organization.Status.NEEDS_RECONNECT,
    )

    response = staff_client.get(CHANGELIST)

    sandbox = app("sandbox_app")
    assertContains(
        response, f"Sandbox connected app <code>{sandbox.fingerprint}</code>"
    )
    assertNotContains(response, sandbox.client_id)
    assertContains(response, "none stored")
    assertContains(response, "Needs reconnect</span>")
    assertContains(response, "Connected</span>")
    assertContains(response, "olivia")


def test_list_never_shows_a_token(staff_client, owner):
    make_org(owner, access_token=ACCESS, refresh_token=REFRESH)

    response = staff_client.get(CHANGELIST)

    assertNotContains(response, ACCESS)
    assertNotContains(response, REFRESH)


def test_list_query_count_does_not_grow_with_orgs(
    staff_client, owner, other_user, django_assert_max_num_queries
):
    make_org(owner)
    staff_client.get(CHANGELIST)
    for index in range(5):
        make_org(other_user, org_id=f"00D000000000{index:03d}EAA", name=f"Org {index}")

    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=olivia", {"Acme Production"}),
        ("q=00D7Z00000", {"Acme UAT"}),
        ("q=3MVG9FerrySandboxApp", {"Acme UAT"}),
        ("has_client_id=no", {"Legacy"}),
        ("has_client_id=yes", {"Acme Production", "Acme UAT"}),
        ("status__exact=needs_reconnect", {"Acme UAT"}),
        ("org_type__exact=sandbox", {"Acme UAT"}),
    ],
)
def test_search_and_filters(staff_client, owner, other_user, query, found):
    make_org(owner)
    make_org(
        other_user,
        org_id=UAT_ID,
        name="Acme UAT",
        org_type=Organization.OrgType.SANDBOX,
        oauth_client_id=app("sandbox_app").client_id,
        status=Organization.Status.NEEDS_RECONNECT,
    )
    make_org(other_user, org_id="00D000000000LegEAA", name="Legacy", oauth_client_id="")

    response = staff_client.get(f"{CHANGELIST}?{query}")

    assert {org.name for org in response.context["cl"].result_list} == found


def test_orgs_are_added_by_connecting_not_in_the_admin(staff_client):
    response = staff_client.get(reverse("admin:orgs_organization_add"))

    assert response.status_code == 403


# The change form


def test_change_page_never_shows_a_token(staff_client, owner):
    org = make_org(owner, access_token=ACCESS, refresh_token=REFRESH)

    response = staff_client.get(change_url(org))

    assertNotContains(response, ACCESS)
    assertNotContains(response, REFRESH)
    assertContains(response, 'type="password" name="refresh_token"')
    assert "refresh_token" not in response.context["adminform"].form.initial


def test_client_id_is_offered_from_the_configured_apps(staff_client, owner):
    org = make_org(owner)

    response = staff_client.get(change_url(org))

    choices = dict(response.context["adminform"].form.fields["oauth_client_id"].choices)
    assert choices[app("default").client_id] == str(app("default"))
    assert choices[app("sandbox_app").client_id] == str(app("sandbox_app"))


def test_changing_the_client_id_lets_refreshes_run_again(staff_client, owner):
    org = make_org(
        owner,
        status=Organization.Status.NEEDS_RECONNECT,
        last_error="Client ID mismatch for Acme Production",
    )
    sandbox = app("sandbox_app").client_id

    response = staff_client.post(
        change_url(org), change_form_data(staff_client, org, oauth_client_id=sandbox)
    )

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.oauth_client_id == sandbox
    assert org.status == Organization.Status.CONNECTED
    assert org.last_error == ""


def test_saving_with_empty_token_fields_keeps_the_tokens(staff_client, owner):
    org = make_org(owner, access_token=ACCESS, refresh_token=REFRESH)

    staff_client.post(change_url(org), change_form_data(staff_client, org, name="New"))

    org.refresh_from_db()
    assert org.name == "New"
    assert org.access_token == ACCESS
    assert org.refresh_token == REFRESH


def test_a_new_refresh_token_is_stored_and_clears_needs_reconnect(staff_client, owner):
    org = make_org(owner, status=Organization.Status.NEEDS_RECONNECT)

    staff_client.post(
        change_url(org),
        change_form_data(staff_client, org, refresh_token="5Aep-pasted-by-staff"),
    )

    org.refresh_from_db()
    assert org.refresh_token == "5Aep-pasted-by-staff"
    assert org.status == Organization.Status.CONNECTED


def test_an_unconfigured_client_id_is_refused(staff_client, owner):
    org = make_org(owner)

    response = staff_client.post(
        change_url(org),
        change_form_data(staff_client, org, oauth_client_id="3MVG9NotConfigured"),
    )

    assert response.status_code == 200
    assert "oauth_client_id" in response.context["adminform"].form.errors
    org.refresh_from_db()
    assert org.oauth_client_id == app("default").client_id


def test_an_unconfigured_current_client_id_can_be_kept(staff_client, owner):
    org = make_org(owner, oauth_client_id="3MVG9RetiredApp000000000001")

    response = staff_client.post(
        change_url(org), change_form_data(staff_client, org, name="Renamed")
    )

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Renamed"
    assert org.oauth_client_id == "3MVG9RetiredApp000000000001"


@pytest.mark.parametrize("field", ["login_url", "instance_url"])
def test_tokens_are_never_pointed_at_a_foreign_host(staff_client, owner, field):
    org = make_org(owner)
    changes = {field: "https://attacker.example.com"}

    response = staff_client.post(
        change_url(org), change_form_data(staff_client, org, **changes)
    )

    assert field in response.context["adminform"].form.errors
    org.refresh_from_db()
    assert "attacker" not in getattr(org, field)


def test_a_legacy_org_must_be_given_a_client_id_to_be_saved(staff_client, owner):
    org = make_org(owner, oauth_client_id=None)

    response = staff_client.post(change_url(org), change_form_data(staff_client, org))

    assert response.status_code == 200
    assert "oauth_client_id" in response.context["adminform"].form.errors


def test_token_events_are_shown_read_only_on_the_org(staff_client, owner):
    org = make_org(owner)
    TokenEvent.objects.create(
        organization=org,
        kind=TokenEvent.Kind.REFRESH,
        client_id=app("default").client_id,
        outcome=TokenEvent.Outcome.FAILURE,
        error_code="app_not_found",
    )

    response = staff_client.get(change_url(org))

    assertContains(response, "app_not_found")
    assertContains(response, "All 1 token events")
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission
    assert not inline.has_change_permission


# Actions


def test_refresh_now_reports_each_org(staff_client, owner, sf_emulator):
    working = make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")
    broken = make_emulated_org(owner, sf_emulator, "prod", "default")
    sf_emulator.revoke_refresh_token(broken.refresh_token)

    messages = run_action(staff_client, "refresh_tokens", working, broken)

    assert f"{working}: token refreshed via Sandbox connected app" in messages[1]
    assert messages[0].startswith(f"{broken}: Acme Production (")
    assert "needs to be reconnected" in messages[0]
    broken.refresh_from_db()
    assert broken.needs_reconnect


def test_test_connection_makes_the_identity_call_and_records_it(
    staff_client, owner, sf_emulator
):
    org = make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")

    messages = run_action(staff_client, "test_connections", org)

    assert messages == [f"{org}: connected as admin@acme.example.uat."]
    event = org.token_events.get()
    assert event.kind == TokenEvent.Kind.TEST
    assert event.outcome == TokenEvent.Outcome.SUCCESS
    assert event.client_id == app("sandbox_app").client_id


def test_test_connection_refreshes_a_stale_token_once(staff_client, owner, sf_emulator):
    org = make_emulated_org(owner, sf_emulator, "prod", "default")
    sf_emulator.expire_access_tokens()

    messages = run_action(staff_client, "test_connections", org)

    assert messages == [f"{org}: connected as admin@acme.example."]
    kinds = [event.kind for event in org.token_events.order_by("pk")]
    assert kinds == [TokenEvent.Kind.REFRESH, TokenEvent.Kind.TEST]
    assert len(sf_emulator.token_requests(grant_type="refresh_token")) == 1


def test_test_connection_reports_and_records_a_failure(
    staff_client, owner, sf_emulator
):
    org = make_emulated_org(owner, sf_emulator, "prod", "default")
    sf_emulator.expire_access_tokens()
    sf_emulator.revoke_refresh_token(org.refresh_token)

    messages = run_action(staff_client, "test_connections", org)

    assert "needs to be reconnected" in messages[0]
    test_event = org.token_events.get(kind=TokenEvent.Kind.TEST)
    assert test_event.outcome == TokenEvent.Outcome.FAILURE
    assert test_event.error_code == "invalid_grant"


def test_mark_as_needing_reconnect(staff_client, owner):
    org = make_org(owner)
    already = make_org(
        owner,
        org_id=UAT_ID,
        name="Acme UAT",
        status=Organization.Status.NEEDS_RECONNECT,
    )

    messages = run_action(staff_client, "mark_needing_reconnect", org, already)

    assert messages == [
        f"{org}: marked as needing a reconnect.",
        f"{already}: already needed a reconnect.",
    ]
    org.refresh_from_db()
    assert org.needs_reconnect
    assert "by sam in the admin" in org.last_error


def test_action_messages_never_contain_a_token(staff_client, owner, sf_emulator):
    org = make_emulated_org(owner, sf_emulator, "uat", "sandbox_app")
    old = [org.access_token, org.refresh_token]

    messages = run_action(staff_client, "refresh_tokens", org)
    messages += run_action(staff_client, "test_connections", org)

    org.refresh_from_db()
    secrets = [*old, org.access_token, org.refresh_token]
    assert not [secret for secret in secrets if secret in " ".join(messages)]


# Token events and authorization attempts


def test_token_event_list_is_read_only(staff_client, owner):
    org = make_org(owner)
    event = TokenEvent.objects.create(
        organization=org,
        kind=TokenEvent.Kind.REFRESH,
        client_id=app("sandbox_app").client_id,
        client_id_source=TokenEvent.ClientIdSource.FALLBACK,
        outcome=TokenEvent.Outcome.SUCCESS,
    )

    response = staff_client.get(reverse("admin:orgs_tokenevent_changelist"))
    add = staff_client.get(reverse("admin:orgs_tokenevent_add"))
    change = staff_client.post(
        reverse("admin:orgs_tokenevent_change", args=[event.pk]), {"kind": "test"}
    )

    assertContains(response, "Acme Production (00D5g00000AcmePEAR)")
    assertContains(response, app("sandbox_app").fingerprint)
    assertContains(response, "Default app (no client ID stored)")
    assertContains(response, "Succeeded</span>")
    assert add.status_code == 403
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.kind == TokenEvent.Kind.REFRESH


def test_authorization_attempts_are_not_in_the_admin():
    assert not admin.site.is_registered(AuthorizationAttempt)
