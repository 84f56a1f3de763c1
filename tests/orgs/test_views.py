import pytest
from pytest_django.asserts import assertContains, assertNotContains

from orgs.models import Organization, TokenEvent
from tests.helpers import app, make_org

pytestmark = pytest.mark.django_db


def test_org_list_shows_each_org_with_the_app_it_came_through(owner_client, owner):
    make_org(owner)
    make_org(
        owner,
        org_id="00D5g00000AcmeUEAR",
        name="Acme UAT",
        oauth_client_id=app("sandbox_app").client_id,
    )

    response = owner_client.get("/orgs/")

    assertContains(response, "Acme Production")
    assertContains(response, "Acme UAT")
    assertContains(response, "Sandbox connected app")
    assertContains(response, app("sandbox_app").fingerprint)


def test_legacy_org_is_shown_without_alarm(owner_client, owner):
    make_org(owner, oauth_client_id=None)

    response = owner_client.get("/orgs/")

    assertContains(response, "Default app (not yet recorded)")
    assertContains(response, "Connected")


def test_another_users_org_is_not_found(owner_client, other_user):
    theirs = make_org(other_user)

    detail = owner_client.get(f"/orgs/{theirs.org_id}/")
    reconnect = owner_client.get(f"/orgs/{theirs.org_id}/reconnect/")
    listing = owner_client.get("/orgs/")

    assert detail.status_code == 404
    assert reconnect.status_code == 404
    assertNotContains(listing, theirs.org_id)


def test_org_page_never_renders_tokens_or_secrets(owner_client, owner):
    org = make_org(owner)
    TokenEvent.objects.create(
        organization=org,
        kind=TokenEvent.Kind.REFRESH,
        client_id=org.oauth_client_id,
        outcome=TokenEvent.Outcome.FAILURE,
        error_code="invalid_grant",
        message="Needs reconnect",
    )

    response = owner_client.get(f"/orgs/{org.org_id}/")

    assertContains(response, "invalid_grant")
    assertNotContains(response, org.access_token)
    assertNotContains(response, org.refresh_token)
    assertNotContains(response, app("default").client_secret)
    assertNotContains(response, org.oauth_client_id)


def test_org_needing_reconnect_offers_the_reconnect_button(owner_client, owner):
    org = make_org(
        owner,
        status=Organization.Status.NEEDS_RECONNECT,
        last_error="Salesforce no longer accepts its refresh token",
    )

    response = owner_client.get(f"/orgs/{org.org_id}/")

    assertContains(response, "no longer accepts its refresh token")
    assertContains(response, f"/orgs/{org.org_id}/reconnect/")


def test_reconnect_form_starts_with_the_orgs_own_app(owner_client, owner):
    org = make_org(owner, oauth_client_id=app("sandbox_app").client_id)

    response = owner_client.get(f"/orgs/{org.org_id}/reconnect/")

    assert response.context["form"].initial["app"] == "sandbox_app"
