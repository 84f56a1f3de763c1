"""
Connecting an org: the OAuth 2.0 web-server flow with PKCE.

``start`` records one authorization attempt and returns Salesforce's
authorize URL; ``complete`` handles the callback: it checks the state, trades
the code with the same app, reads who and what the org is, and saves it with
the client ID that authorized it.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from orgs import oauth, tokens
from orgs.connected_apps import get_registry
from orgs.exceptions import InvalidResponse, SalesforceError
from orgs.models import (
    AuthorizationAttempt,
    Organization,
    TokenEvent,
    org_id_validator,
)
from orgs.salesforce import SalesforceClient

logger = logging.getLogger(__name__)

ORG_QUERY = (
    "SELECT Id, Name, OrganizationType, IsSandbox, InstanceName, NamespacePrefix, "
    "TrialExpirationDate FROM Organization"
)
DENIED = ("access_denied", "access-denied")
org_id_pattern = org_id_validator.regex


class CallbackError(Exception):
    def __init__(self, user_message):
        super().__init__(user_message)
        self.user_message = user_message


def callback_url(request) -> str:
    return settings.SALESFORCE_CALLBACK_URL or request.build_absolute_uri(
        reverse("orgs:oauth-callback")
    )


def start(
    request, *, app, login_url, org_type, color="", icon="", reconnecting=None
) -> str:
    """Record an authorization attempt and return where to send the user."""
    if not request.session.session_key:
        request.session.save()
    _forget_old_attempts()
    verifier, challenge = oauth.new_pkce_pair()
    attempt = AuthorizationAttempt.objects.create(
        user=request.user,
        session_key=request.session.session_key,
        state=secrets.token_urlsafe(32),
        code_verifier=verifier,
        client_id=app.client_id,
        login_url=login_url,
        redirect_uri=callback_url(request),
        org_type=org_type,
        expected_org_id=reconnecting.org_id if reconnecting else "",
        color=color,
        icon=icon,
    )
    return oauth.authorization_url(
        app, login_url, attempt.redirect_uri, attempt.state, challenge
    )


def complete(request, params) -> Organization:
    attempt = _claim_attempt(request, params.get("state", ""))

    app = get_registry().by_client_id(attempt.client_id)
    error = params.get("error")
    if error:
        raise CallbackError(_authorize_error_message(error, params, app))
    code = params.get("code")
    if not code:
        raise CallbackError(
            "Salesforce's answer carried no authorization code. Start the connection "
            "again."
        )

    if app is None:
        raise CallbackError(
            "The connected app this sign-in started with is no longer configured. "
            "Start the connection again."
        )

    try:
        token = oauth.exchange_code(
            app, attempt.login_url, attempt.redirect_uri, code, attempt.code_verifier
        )
        org = _save_org(request.user, attempt, app, token)
    except SalesforceError as error:
        raise CallbackError(
            f"Salesforce did not complete the connection: {error.user_message}"
        ) from error

    logger.info("Connected org %s through client ID %s", org.org_id, app.fingerprint)
    return org


def _claim_attempt(request, state):
    if not state:
        raise CallbackError(
            "The answer from Salesforce had no state parameter, so Ferry cannot tell "
            "which connection it belongs to. Start the connection again."
        )
    attempt = AuthorizationAttempt.objects.filter(
        state=state, user=request.user
    ).first()
    if attempt is None or attempt.session_key != request.session.session_key:
        raise CallbackError(
            "This sign-in answer does not match a connection started in this browser "
            "session. Start the connection again from Ferry."
        )

    # Claim it in one UPDATE so a replayed callback cannot use it twice.
    claimed = AuthorizationAttempt.objects.filter(
        pk=attempt.pk, used_at__isnull=True
    ).update(used_at=timezone.now())
    if not claimed:
        raise CallbackError(
            "This sign-in answer was already used. Start the connection again."
        )
    if attempt.is_expired:
        raise CallbackError(
            "This sign-in took more than 10 minutes and has expired. Start the "
            "connection again."
        )
    return attempt


def _forget_old_attempts():
    # Attempts live ten minutes; an hour later nothing can use them, and their
    # verifiers are better gone.
    cutoff = timezone.now() - timedelta(
        seconds=6 * AuthorizationAttempt.LIFETIME_SECONDS
    )
    AuthorizationAttempt.objects.filter(created_at__lt=cutoff).delete()


def _authorize_error_message(error, params, app):
    if error in DENIED:
        return "The Salesforce sign-in was cancelled or access was denied."
    if error == "app_not_found" and app is not None:
        return (
            f"The connected app you chose, {app.label}, is not installed in the org "
            "you signed in to (Salesforce answered app_not_found). Connect again and "
            "choose the app that is installed in that org, or sign in as a user of "
            f"an org where {app.label} is installed."
        )
    description = params.get("error_description", "")
    detail = f"{error}: {description}" if description else error
    return f"Salesforce refused the connection ({detail})."


def _save_org(user, attempt, app, token):
    for field in ("access_token", "instance_url", "id"):
        if not token.get(field):
            raise InvalidResponse(f"Salesforce's token answer had no {field}.")
    if not token.get("refresh_token"):
        raise InvalidResponse(
            "Salesforce issued no refresh token. Add the refresh_token (or "
            "offline_access) scope to the connected app and connect again."
        )
    oauth.check_host(token["instance_url"], "an instance URL")
    oauth.check_host(token["id"], "an identity URL")

    probe = Organization(
        name="the org",
        instance_url=token["instance_url"].rstrip("/"),
        access_token=token["access_token"],
    )
    client = SalesforceClient(probe, can_refresh=False)
    identity = client.get(token["id"])
    probe.api_version = _api_version(client.get("/services/data/"))
    info = next(client.query(ORG_QUERY), None) or {}

    org_id = str(identity.get("organization_id", ""))
    if not org_id_pattern.match(org_id) or org_id not in token["id"]:
        raise InvalidResponse(
            "Salesforce's identity answer did not name the org that was signed in to."
        )
    try:
        _check_expected_org(user, attempt, org_id, info.get("Name") or org_id)
    except CallbackError:
        oauth.revoke(attempt.login_url, token["refresh_token"])
        raise
    with transaction.atomic():
        org, _created = Organization.objects.select_for_update().get_or_create(
            owner=user, org_id=org_id, defaults={"login_url": attempt.login_url}
        )
        org.name = info.get("Name") or identity.get("username") or org_id
        org.org_type = _org_type(info, attempt.org_type)
        org.login_url = attempt.login_url
        org.oauth_client_id = app.client_id
        org.api_version = probe.api_version
        org.color = attempt.color or org.color
        org.icon = attempt.icon or org.icon
        org.last_connected_at = timezone.now()
        tokens.store_token(org, token)
        tokens.record_event(org, TokenEvent.Kind.CONNECT, app.client_id)
    return org


def _check_expected_org(user, attempt, org_id, name):
    """Refuse a reconnect that signed in to another org than the one meant."""
    expected = attempt.expected_org_id
    if not expected or expected[:15] == org_id[:15]:
        return
    meant = Organization.objects.for_user(user).filter(org_id=expected).first()
    meant_name = meant.name if meant else expected
    raise CallbackError(
        f"You signed in to {name} ({org_id}), but you were reconnecting "
        f"{meant_name} ({expected}). Nothing was changed. Reconnect again and sign "
        f"in as a user of {meant_name}."
    )


def _api_version(versions) -> str:
    cap = _version_key(settings.SALESFORCE_API_VERSION_MAX)
    offered = [
        item["version"]
        for item in versions
        if isinstance(item, dict) and _version_key(item.get("version", "")) <= cap
    ]
    if not offered:
        raise InvalidResponse(
            "The org offers no API version Ferry can use "
            f"(at most {settings.SALESFORCE_API_VERSION_MAX})."
        )
    return max(offered, key=_version_key)


def _version_key(version):
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        return (0,)


def _org_type(info, chosen):
    if info.get("IsSandbox") and info.get("TrialExpirationDate"):
        return Organization.OrgType.SCRATCH
    if info.get("IsSandbox"):
        return Organization.OrgType.SANDBOX
    if info.get("OrganizationType") == "Developer Edition":
        return Organization.OrgType.DEVELOPER
    if info:
        return Organization.OrgType.PRODUCTION
    return chosen
