"""
The one place an org's access token is refreshed.

Every caller (the API client on a 401, a component refresh, the admin's
"refresh now") comes through ``refresh_access_token``, which

- refreshes with the client ID stored on the org and that app's own secret,
  falling back to the default app only for legacy orgs without one (logged);
- serialises refreshes of one org with a row lock, and hands a caller the
  token another worker obtained while it waited, so a rotating refresh token
  is never spent twice;
- stores the whole answer atomically: access token, issue time, a rotated
  refresh token (never an empty one) and a moved instance URL;
- turns failures into exceptions a user can act on, and marks the org as
  needing a reconnect when retrying cannot help, after which it stops calling
  Salesforce for that org until it is reconnected or its client ID changes.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from orgs import oauth
from orgs.connected_apps import fingerprint, get_registry
from orgs.exceptions import (
    ClientIdMismatch,
    ConnectionBroken,
    InvalidResponse,
    RefreshTokenInvalid,
    SalesforceError,
    UnknownClientId,
)
from orgs.models import Organization, TokenEvent

logger = logging.getLogger(__name__)

STORED = TokenEvent.ClientIdSource.STORED
FALLBACK = TokenEvent.ClientIdSource.FALLBACK


@dataclass(frozen=True)
class TokenRefresh:
    org: Organization
    client_id: str
    client_id_source: str
    reused: bool = False


def app_for_refresh(org):
    """Return (connected app, "stored" or "fallback") for refreshing ``org``."""
    registry = get_registry()
    if org.oauth_client_id:
        app = registry.by_client_id(org.oauth_client_id)
        if app is None:
            raise UnknownClientId(_unknown_client_id_message(org, registry))
        return app, STORED

    if registry.default is None:
        raise UnknownClientId(
            f"{org.name} has no stored client ID and no default connected app is "
            "configured (SALESFORCE_CLIENT_ID). Reconnect the org, or set its client "
            "ID in the admin or with manage.py backfill_oauth_client_ids."
        )
    logger.warning(
        "Org %s has no stored client ID; refreshing with the default app %s. "
        "Run manage.py backfill_oauth_client_ids to record the right one.",
        org.org_id,
        registry.default.fingerprint,
    )
    return registry.default, FALLBACK


def refresh_access_token(org: Organization) -> TokenRefresh:
    """Refresh ``org``'s access token and return the org as now stored.

    ``org`` is the caller's copy: if the row's token is newer than the one
    the caller holds, another worker refreshed meanwhile and its token is
    returned without calling Salesforce.
    """
    failure = None
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=org.pk)
        if _refreshed_since(locked, org):
            return TokenRefresh(
                locked, locked.oauth_client_id or "", STORED, reused=True
            )
        if locked.needs_reconnect:
            raise ConnectionBroken(_still_broken_message(locked))
        if not locked.refresh_token:
            raise RefreshTokenInvalid(
                f"{locked.name} has no refresh token stored. Reconnect the org."
            )

        try:
            app, source = app_for_refresh(locked)
        except UnknownClientId as error:
            record_event(
                locked, TokenEvent.Kind.REFRESH, locked.oauth_client_id, STORED, error
            )
            locked.mark_needs_reconnect(error.user_message)
            failure = error
        else:
            failure = _refresh_locked(locked, app, source)

    if failure is not None:
        raise failure
    return TokenRefresh(locked, app.client_id, source)


def _refresh_locked(org, app, source):
    """Call Salesforce for ``org`` (row locked); return the failure, if any."""
    try:
        token = oauth.request_refresh(app, org.token_url, org.refresh_token)
        check_token(org, token)
    except ConnectionBroken as error:
        error = _explain(error, org, app, source)
        record_event(org, TokenEvent.Kind.REFRESH, app.client_id, source, error)
        org.mark_needs_reconnect(error.user_message)
        logger.warning(
            "Refreshing org %s with client ID %s failed for good: %s",
            org.org_id,
            app.fingerprint,
            error.code,
        )
        return error
    except SalesforceError as error:
        record_event(org, TokenEvent.Kind.REFRESH, app.client_id, source, error)
        logger.warning(
            "Refreshing org %s with client ID %s failed: %s",
            org.org_id,
            app.fingerprint,
            error.code or type(error).__name__,
        )
        return error

    store_token(org, token)
    if source == FALLBACK:
        # The default app's token worked, so that is where the org belongs.
        org.oauth_client_id = app.client_id
        org.save(update_fields=["oauth_client_id"])
    record_event(org, TokenEvent.Kind.REFRESH, app.client_id, source)
    return None


def store_token(org, token: dict):
    """Save a token answer on ``org`` (already checked by ``_check_token``)."""
    org.access_token = token["access_token"]
    org.token_issued_at = issued_at(token)
    org.token_expires_at = None
    # Without rotation Salesforce sends no refresh token on refresh; the one
    # already stored stays valid and must not be overwritten with nothing.
    if token.get("refresh_token"):
        org.refresh_token = token["refresh_token"]
    org.instance_url = token["instance_url"].rstrip("/")
    org.mark_connected()
    org.save()


def issued_at(token: dict) -> datetime:
    try:
        millis = int(token.get("issued_at", ""))
    except ValueError:
        return timezone.now()
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def check_token(org, token):
    if not token.get("access_token") or not token.get("instance_url"):
        raise InvalidResponse(
            "Salesforce's refresh answer had no access token or instance URL."
        )
    oauth.check_host(token["instance_url"], "an instance URL")


def _refreshed_since(locked, caller_copy) -> bool:
    if locked.token_issued_at is None:
        return False
    if caller_copy.token_issued_at is None:
        return False
    return (
        locked.token_issued_at > caller_copy.token_issued_at
        and locked.status == Organization.Status.CONNECTED
    )


def record_event(org, kind, client_id, source=STORED, error=None):
    TokenEvent.objects.create(
        organization=org,
        kind=kind,
        client_id=client_id or "",
        client_id_source=source,
        outcome=TokenEvent.Outcome.FAILURE if error else TokenEvent.Outcome.SUCCESS,
        error_code=getattr(error, "code", "") if error else "",
        message=error.user_message if error else "",
    )


def _explain(error, org, app, source):
    """Rewrite a terminal token error as a message that names the fix."""
    if isinstance(error, ClientIdMismatch):
        return ClientIdMismatch(
            _mismatch_message(org, app, source, error), code=error.code
        )
    if isinstance(error, RefreshTokenInvalid):
        return RefreshTokenInvalid(
            _invalid_grant_message(org, app, source, error), code=error.code
        )
    return type(error)(
        f"Salesforce refused to refresh {org.name}'s token ({error.user_message}). "
        "Reconnect the org.",
        code=error.code,
    )


def _apps_list():
    apps = [f"{app.label} ({app.fingerprint})" for app in get_registry()]
    return ", ".join(apps) or "none"


def _mismatch_message(org, app, source, error):
    if source == FALLBACK:
        held = (
            "it has no stored client ID, so Ferry tried the default app "
            f"({app.fingerprint})"
        )
    else:
        held = f"its stored client ID is {app.fingerprint} ({app.label})"
    return (
        f"Client ID mismatch for {org.name} ({org.org_id}): Salesforce answered "
        f'"{error.user_message}" because the org\'s refresh token was issued to a '
        f"different connected app; {held}. Configured apps: {_apps_list()}. "
        "Fix: reconnect the org through the app it should use, or set its client ID "
        "to the app it was authorized with in the admin or with "
        "manage.py backfill_oauth_client_ids."
    )


def _invalid_grant_message(org, app, source, error):
    hint = ""
    if source == FALLBACK:
        hint = (
            " The org has no stored client ID and the default app was tried; if it "
            "was authorized through another app, set that client ID instead."
        )
    return (
        f"{org.name} ({org.org_id}) needs to be reconnected: Salesforce no longer "
        f"accepts its refresh token ({error.user_message}). The token was revoked, "
        "expired by the connected app's policy, or replaced by a newer sign-in."
        f"{hint} Nothing else was changed."
    )


def _unknown_client_id_message(org, registry):
    apps = ", ".join(f"{app.label} ({app.fingerprint})" for app in registry) or "none"
    return (
        f"{org.name} ({org.org_id}) was authorized with client ID "
        f"{fingerprint(org.oauth_client_id)}, which is not one of the configured "
        f"connected apps ({apps}). Add that app's client ID and secret to the "
        "settings (SALESFORCE_APPS), or reconnect the org through a configured app."
    )


def _still_broken_message(org):
    return org.last_error or (
        f"{org.name} ({org.org_id}) needs to be reconnected before Ferry can use it."
    )
