"""
OAuth 2.0 with Salesforce: the authorize URL, the code exchange and the
refresh grant, through requests-oauthlib.

This module knows the wire protocol only; which app and which org is the
business of ``orgs.connect`` and ``orgs.tokens``.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from urllib.parse import urlsplit

import requests
from django.conf import settings
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from orgs.exceptions import (
    ClientIdMismatch,
    ConnectionBroken,
    InvalidResponse,
    RateLimited,
    RefreshTokenInvalid,
    SalesforceUnavailable,
    TransientSalesforceError,
    UntrustedHost,
)

logger = logging.getLogger(__name__)

# Token-endpoint errors meaning "this client ID does not own this token".
CLIENT_MISMATCH_ERRORS = {"app_not_found", "invalid_client", "invalid_client_id"}


TOKEN_ATTEMPTS = 3


class _RetryableTokenError(TransientSalesforceError):
    """An answer worth one more try; leaves this module as ``final()``."""

    def __init__(self, user_message, *, rate_limited=False):
        super().__init__(user_message)
        self.rate_limited = rate_limited

    def final(self):
        if self.rate_limited:
            return RateLimited(f"{self.user_message} Try again in a few minutes.")
        return SalesforceUnavailable(f"{self.user_message} Try again later.")


def is_allowed_host(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    loopback = host in ("127.0.0.1", "localhost")
    if parts.scheme != "https" and not loopback:
        return False
    for allowed in settings.SALESFORCE_ALLOWED_HOSTS:
        allowed = allowed.lower()
        if allowed.startswith("."):
            if host.endswith(allowed) or host == allowed[1:]:
                return True
        elif host == allowed:
            return True
    return False


def check_host(url: str, what: str):
    if not is_allowed_host(url):
        host = urlsplit(url).netloc or url
        raise UntrustedHost(
            f"Salesforce returned {what} on {host}, which is not an allowed "
            "Salesforce host. Ferry sends tokens only to the hosts in "
            "SALESFORCE_ALLOWED_HOSTS."
        )


def new_pkce_pair() -> tuple[str, str]:
    """Return a (verifier, S256 challenge) pair in URL-safe base64 characters."""
    verifier = secrets.token_urlsafe(96)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def authorization_url(
    app, login_url, redirect_uri, state, code_challenge, login_hint=None
) -> str:
    session = OAuth2Session(
        app.client_id, redirect_uri=redirect_uri, scope=settings.SALESFORCE_SCOPES
    )
    extra = {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    if login_hint:
        extra["login_hint"] = login_hint
    url, _state = session.authorization_url(
        f"{login_url.rstrip('/')}/services/oauth2/authorize", state=state, **extra
    )
    return url


def exchange_code(app, login_url, redirect_uri, code, code_verifier) -> dict:
    """Trade an authorization code for tokens with the app that asked for it."""
    session = OAuth2Session(app.client_id, redirect_uri=redirect_uri)
    captured = _capture_answers(session, "access_token_response")
    token_url = f"{login_url.rstrip('/')}/services/oauth2/token"

    # A code is single-use, so a failed exchange is never retried.
    try:
        session.fetch_token(
            token_url,
            code=code,
            code_verifier=code_verifier,
            include_client_id=True,
            client_secret=app.client_secret or None,
            timeout=_timeout(),
        )
    except requests.Timeout as error:
        raise SalesforceUnavailable(
            "Salesforce did not answer the sign-in in time. Try connecting again."
        ) from error
    except requests.ConnectionError as error:
        raise SalesforceUnavailable(
            f"Could not reach {urlsplit(token_url).netloc} to finish the sign-in."
        ) from error
    except OAuth2Error as error:
        raise InvalidResponse(
            f"Salesforce's token answer was incomplete ({error.error})."
        ) from error
    except _RetryableTokenError as error:
        raise error.final() from error

    token = captured[-1]
    verify_signature(app, token)
    return token


def request_refresh(app, token_url, refresh_token) -> dict:
    """Ask for a new access token; retries only answers that spent nothing."""
    try:
        return _request_refresh_with_retries(app, token_url, refresh_token)
    except _RetryableTokenError as error:
        raise error.final() from error


def _refresh_wait(retry_state):
    base = settings.SALESFORCE_RETRY_WAIT_SECONDS
    return wait_exponential(multiplier=base, max=base * 8)(retry_state)


@retry(
    retry=retry_if_exception_type(_RetryableTokenError),
    stop=stop_after_attempt(TOKEN_ATTEMPTS),
    wait=_refresh_wait,
    reraise=True,
)
def _request_refresh_with_retries(app, token_url, refresh_token):
    session = OAuth2Session(app.client_id)
    captured = _capture_answers(session, "refresh_token_response")
    body = {"client_id": app.client_id}
    if app.client_secret:
        body["client_secret"] = app.client_secret

    try:
        session.refresh_token(
            token_url, refresh_token=refresh_token, timeout=_timeout(), **body
        )
    except requests.ConnectTimeout as error:
        raise _RetryableTokenError(
            f"Timed out connecting to {urlsplit(token_url).netloc}."
        ) from error
    except requests.Timeout as error:
        # The request may have reached Salesforce and spent a rotating
        # refresh token; sending the same one again would revoke the family.
        raise SalesforceUnavailable(
            "Salesforce did not answer the token refresh in time. Try again later."
        ) from error
    except requests.ConnectionError as error:
        raise _RetryableTokenError(
            f"Could not reach {urlsplit(token_url).netloc}."
        ) from error
    except OAuth2Error as error:
        raise InvalidResponse(
            f"Salesforce's token answer was incomplete ({error.error})."
        ) from error

    token = captured[-1]
    verify_signature(app, token)
    return token


def revoke(login_url, refresh_token):
    """Give back a refresh token Ferry will not keep; best effort.

    Salesforce keeps at most five refresh tokens per user and app, so a
    token left unused would push out a real one later.
    """
    try:
        response = requests.post(
            f"{login_url.rstrip('/')}/services/oauth2/revoke",
            data={"token": refresh_token},
            timeout=_timeout(),
        )
    except requests.RequestException as error:
        logger.warning(
            "Could not revoke an unused refresh token: %s", type(error).__name__
        )
        return
    if response.status_code != 200:
        logger.warning(
            "Salesforce refused to revoke an unused refresh token (HTTP %s)",
            response.status_code,
        )


def verify_signature(app, token: dict):
    """Check Salesforce's HMAC over the identity URL and issue time."""
    if not app.client_secret:
        return
    signature = token.get("signature", "")
    message = f"{token.get('id', '')}{token.get('issued_at', '')}".encode()
    expected = hmac.new(app.client_secret.encode(), message, hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(expected).decode(), signature):
        raise InvalidResponse(
            "Salesforce's token answer failed its signature check, so Ferry did not "
            "trust it. Check that the connected app's consumer secret is current."
        )


def _timeout():
    return (settings.SALESFORCE_CONNECT_TIMEOUT, settings.SALESFORCE_READ_TIMEOUT)


def _capture_answers(session, hook_name):
    """Vet each raw token answer and keep its JSON, which oauthlib reshapes."""
    captured = []

    def vet(response):
        captured.append(_token_json(response))
        return response

    session.register_compliance_hook(hook_name, vet)
    return captured


def _token_json(response) -> dict:
    if response.status_code in (429, 500, 502, 503, 504):
        raise _RetryableTokenError(
            f"Salesforce's token endpoint answered HTTP {response.status_code}.",
            rate_limited=response.status_code == 429,
        )
    try:
        payload = response.json()
    except ValueError as error:
        raise InvalidResponse(
            f"Salesforce's token endpoint answered HTTP {response.status_code} with "
            "something that is not JSON."
        ) from error
    if not isinstance(payload, dict):
        raise InvalidResponse("Salesforce's token answer was not a JSON object.")
    if response.status_code != 200 or "error" in payload:
        raise token_error(payload)
    return payload


def token_error(payload: dict):
    """Turn a token-endpoint error body into the matching exception."""
    code = str(payload.get("error", "unknown_error"))
    description = str(payload.get("error_description", ""))
    detail = f"{code}: {description}" if description else code
    if code in CLIENT_MISMATCH_ERRORS:
        return ClientIdMismatch(detail, code=code)
    if code == "invalid_grant":
        return RefreshTokenInvalid(detail, code=code)
    if code == "rate_limit_exceeded":
        return RateLimited(
            f"Salesforce is limiting sign-ins ({detail}). Try again in a few minutes.",
            code=code,
        )
    if code in ("server_error", "service_unavailable", "system_down"):
        return SalesforceUnavailable(
            f"Salesforce is unavailable ({detail}).", code=code
        )
    return ConnectionBroken(detail, code=code)
