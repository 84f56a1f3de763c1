"""OAuth 2.0 behaviour: authorize checks, the token endpoint and revocation.

Error texts follow the facts file (``/work/shared/salesforce-api-facts.md``
section 3); where Salesforce's exact answer is unknown the choice is noted.
"""

import base64
import hashlib
import hmac
import time
from urllib.parse import urlsplit

from .config import KNOWN_SCOPES
from .state import AuthorizationCode, random_token

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
APP_NOT_FOUND = "External client app is not installed in this org"
EXPIRED_TOKEN = "expired access/refresh token"


class OAuthError(Exception):
    """An OAuth failure: error code and description as Salesforce sends them."""

    def __init__(self, error, description, status=400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self):
        return {"error": self.error, "error_description": self.description}


def redirect_uri_allowed(app, redirect_uri, settings):
    if redirect_uri in app.redirect_uris:
        return True
    if not settings["allow_loopback_redirects"]:
        return False
    # Salesforce wants an exact match; test servers use random ports, so a
    # loopback callback may differ from a registered loopback one by port.
    asked = urlsplit(redirect_uri)
    if asked.scheme != "http" or asked.hostname not in LOOPBACK_HOSTS:
        return False
    for registered in map(urlsplit, app.redirect_uris):
        if (
            registered.scheme == "http"
            and registered.hostname in LOOPBACK_HOSTS
            and registered.path == asked.path
            and registered.query == asked.query
        ):
            return True
    return False


def check_client(state, client_id, client_secret, secret_required):
    app = state.apps.get(client_id or "")
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if client_secret:
        expected = app.client_secret or ""
        if not hmac.compare_digest(client_secret.encode(), expected.encode()):
            raise OAuthError("invalid_client", "invalid client credentials")
    elif secret_required and app.require_secret:
        raise OAuthError("invalid_client", "invalid client credentials")
    return app


def granted_scopes(app, requested):
    """Return the scopes to grant, or raise ``invalid_scope``."""
    if not requested:
        return list(app.scopes)
    scopes = requested.split()
    for scope in scopes:
        allowed = scope in app.scopes or "full" in app.scopes
        if scope not in KNOWN_SCOPES or not allowed:
            raise OAuthError("invalid_scope", "the requested scope is not allowed")
    return scopes


def new_authorization_code(state, app, user, redirect_uri, scopes, challenge):
    # Real codes are base64 and end in "=", so clients must URL-decode them.
    code = f"aPrx{random_token(60).replace('.', 'x')}=="
    ttl = state.settings["authorization_code_ttl_seconds"]
    state.codes[code] = AuthorizationCode(
        code=code,
        app=app,
        user=user,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=challenge,
        expires_at=time.time() + ttl,
    )
    return code


def pkce_challenge(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def exchange_code(state, form, app, host_org):
    """Check an authorization_code grant and return its new Grant."""
    code = state.codes.get(form.get("code", ""))
    if code is None or code.used or code.app is not app:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if time.time() > code.expires_at:
        raise OAuthError("invalid_grant", "authorization code expired")
    if host_org is not None and code.user.org is not host_org:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError(
            "redirect_uri_mismatch", "redirect_uri must match configuration"
        )

    if code.code_challenge:
        verifier = form.get("code_verifier")
        # Salesforce documents invalid_grant for a missing verifier and
        # invalid_request for a wrong one; the descriptions are not published.
        if not verifier:
            raise OAuthError("invalid_grant", "code verifier is required")
        expected = code.code_challenge.encode()
        if not hmac.compare_digest(pkce_challenge(verifier).encode(), expected):
            raise OAuthError("invalid_request", "invalid code verifier")
    code.used = True
    if code.user.org.alias not in app.installed_in:
        raise OAuthError("app_not_found", APP_NOT_FOUND)
    return state.new_grant(app, code.user, code.scopes)


def claim_refresh(state, form, app, host_org):
    """Check a refresh_token grant; mark the token in flight; return its Grant."""
    token = form.get("refresh_token", "")
    grant = state.refresh_tokens.get(token)
    if grant is None or grant.revoked:
        raise OAuthError("invalid_grant", EXPIRED_TOKEN)
    org = grant.user.org
    if host_org is not None and org is not host_org:
        raise OAuthError("invalid_grant", EXPIRED_TOKEN)
    if org.alias not in app.installed_in:
        # External client apps are local to their org; another org's app
        # is not even found there.
        raise OAuthError("app_not_found", APP_NOT_FOUND)
    if grant.app is not app:
        # Salesforce publishes no text for a token of another app that is
        # installed in the org; it answers like for an unknown token.
        raise OAuthError("invalid_grant", EXPIRED_TOKEN)
    if not grant.user.active:
        raise OAuthError("invalid_grant", "inactive user")

    if grant.app.rotate_refresh_tokens:
        if token != grant.refresh_token:
            # Reuse of a rotated-out token revokes the whole family.
            state.revoke_grant(grant)
            raise OAuthError("invalid_grant", EXPIRED_TOKEN)
        if token in grant.in_flight:
            raise OAuthError("invalid_grant", EXPIRED_TOKEN)
        grant.in_flight.add(token)
    return grant, token


def finish_refresh(state, grant, token):
    """Rotate if the app rotates; return the new refresh token or None."""
    grant.in_flight.discard(token)
    if grant.revoked:
        raise OAuthError("invalid_grant", EXPIRED_TOKEN)
    if not grant.app.rotate_refresh_tokens:
        return None
    grant.dead_refresh_tokens.add(token)
    grant.refresh_token = state.new_refresh_token(grant)
    return grant.refresh_token


def token_response(state, grant, base_url, instance_url, refresh_token):
    """Build the success JSON in the order Salesforce sends the fields."""
    access = state.issue_access_token(grant)
    user = grant.user
    identity_url = f"{base_url}/id/{user.org.org_id}/{user.id}"
    issued_at = str(int(access.issued_at * 1000))
    body = {"access_token": access.token}
    if refresh_token:
        body["refresh_token"] = refresh_token
    body["signature"] = signature(grant.app.signing_key, identity_url, issued_at)
    body["scope"] = " ".join(grant.scopes)
    body["instance_url"] = instance_url
    body["id"] = identity_url
    body["token_type"] = "Bearer"
    body["issued_at"] = issued_at
    return body


def signature(key, identity_url, issued_at):
    digest = hmac.new(
        key.encode(), (identity_url + issued_at).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()
