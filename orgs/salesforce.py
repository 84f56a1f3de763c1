"""
A small REST/Tooling API client for one connected org.

It sends the org's bearer token, refreshes it once through
``orgs.tokens`` when Salesforce answers 401 INVALID_SESSION_ID, and turns
Salesforce's error bodies into the exceptions in ``orgs.exceptions``.
"""

import logging
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from orgs import tokens
from orgs.exceptions import (
    ConnectionBroken,
    InvalidResponse,
    RateLimited,
    SalesforceAPIError,
    SalesforceUnavailable,
)

logger = logging.getLogger(__name__)

SESSION_EXPIRED = "INVALID_SESSION_ID"
# 401 answers that mean "this token may not do this", not "this token is
# stale": refreshing would not help and would loop.
NOT_A_STALE_SESSION = (
    "This session is not valid for use with the REST API",
    "Connected app is not attached to Agent",
)
# The identity services (userinfo, the identity URL) answer a stale token
# with a bare 403 "Bad_OAuth_Token" rather than the REST API's 401.
STALE_IDENTITY_ANSWER = "Bad_OAuth_Token"


def build_session() -> requests.Session:
    """A requests session that retries idempotent calls on 5xx and drops."""
    retry = Retry(
        total=3,
        connect=3,
        read=1,
        status=3,
        backoff_factor=settings.SALESFORCE_RETRY_WAIT_SECONDS,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class SalesforceClient:
    def __init__(self, org, *, session=None, can_refresh=True):
        self.org = org
        self.can_refresh = can_refresh
        self.session = session or build_session()
        self.request_count = 0
        self.last_refresh = None
        self.api_usage = None

    @property
    def api_base(self) -> str:
        return f"/services/data/v{self.org.api_version}"

    def url(self, path_or_url: str) -> str:
        """Resolve a path against the org's instance URL.

        Instance URLs may carry a path of their own, and Salesforce hands back
        paths (``nextRecordsUrl``) that may or may not repeat it.
        """
        if urlsplit(path_or_url).scheme:
            return path_or_url
        instance = self.org.instance_url.rstrip("/")
        instance_path = urlsplit(instance).path
        if instance_path and path_or_url.startswith(f"{instance_path}/"):
            return urljoin(instance, path_or_url)
        return f"{instance}/{path_or_url.lstrip('/')}"

    def get(self, path_or_url, params=None, headers=None) -> dict:
        response = self._send(path_or_url, params, headers)
        if self.can_refresh and self._session_expired(response):
            self.last_refresh = tokens.refresh_access_token(self.org)
            self.org = self.last_refresh.org
            response = self._send(path_or_url, params, headers)
            if self._session_expired(response):
                raise ConnectionBroken(
                    f"Salesforce rejected the token for {self.org.name} right after "
                    "refreshing it. Reconnect the org.",
                    code=SESSION_EXPIRED,
                )
        return self._parse(response)

    def query_pages(self, soql, *, tooling=False, batch_size=None):
        """Yield each page of a query, following nextRecordsUrl to the end."""
        endpoint = f"{self.api_base}/{'tooling/' if tooling else ''}query"
        headers = {}
        if batch_size:
            headers["Sforce-Query-Options"] = f"batchSize={batch_size}"

        page = self.get(endpoint, params={"q": soql}, headers=headers)
        yield page
        while not page.get("done", True):
            next_url = page.get("nextRecordsUrl")
            if not next_url:
                raise InvalidResponse(
                    "Salesforce said a query had more rows but gave no nextRecordsUrl."
                )
            page = self.get(next_url, headers=headers)
            yield page

    def query(self, soql, *, tooling=False, batch_size=None):
        """Yield every record of a query across all its pages."""
        for page in self.query_pages(soql, tooling=tooling, batch_size=batch_size):
            yield from page.get("records", [])

    def _send(self, path_or_url, params, headers):
        url = self.url(path_or_url)
        request_headers = {
            "Authorization": f"Bearer {self.org.access_token}",
            "Accept": "application/json",
            **(headers or {}),
        }
        self.request_count += 1
        try:
            response = self.session.get(
                url,
                params=params,
                headers=request_headers,
                timeout=(
                    settings.SALESFORCE_CONNECT_TIMEOUT,
                    settings.SALESFORCE_READ_TIMEOUT,
                ),
            )
        except requests.Timeout as error:
            raise SalesforceUnavailable(
                f"{self.org.name} did not answer in time. Try again later."
            ) from error
        except requests.ConnectionError as error:
            raise SalesforceUnavailable(
                f"Could not reach {self.org.name} at {self.org.instance_host}. "
                "Try again later."
            ) from error

        self.api_usage = response.headers.get("Sforce-Limit-Info", self.api_usage)
        return response

    def _session_expired(self, response) -> bool:
        if response.status_code == 403:
            return response.text.strip() == STALE_IDENTITY_ANSWER
        if response.status_code != 401:
            return False
        errors = _error_list(response)
        return (
            any(
                error.get("errorCode") == SESSION_EXPIRED
                and not str(error.get("message", "")).startswith(NOT_A_STALE_SESSION)
                for error in errors
            )
            or not errors
        )

    def _parse(self, response) -> dict:
        if response.status_code >= 400:
            raise self._error(response)
        try:
            return response.json()
        except ValueError as error:
            raise InvalidResponse(
                f"{self.org.name} answered with something that is not JSON "
                f"(HTTP {response.status_code}). Try again; if it persists, "
                "Salesforce may be having trouble."
            ) from error

    def _error(self, response):
        errors = _error_list(response)
        first = errors[0] if errors else {}
        code = str(first.get("errorCode", "")) or f"HTTP_{response.status_code}"
        message = str(first.get("message", "")).strip() or response.reason

        if code == "REQUEST_LIMIT_EXCEEDED":
            return RateLimited(
                f"{self.org.name} has used up its daily Salesforce API requests "
                f"({message}). Try again once the 24-hour quota frees up.",
                code=code,
            )
        if response.status_code >= 500:
            return SalesforceUnavailable(
                f"Salesforce is unavailable for {self.org.name} "
                f"(HTTP {response.status_code}). Try again later.",
                code=code,
            )
        if response.status_code == 401:
            return ConnectionBroken(
                f"Salesforce refused {self.org.name}'s token: {message}", code=code
            )
        logger.debug("Salesforce error %s from org %s", code, self.org.org_id)
        return SalesforceAPIError(f"Salesforce answered {code}: {message}", code=code)


def _error_list(response) -> list:
    try:
        body = response.json()
    except ValueError:
        return []
    if isinstance(body, dict):
        body = [body]
    return (
        [item for item in body if isinstance(item, dict)]
        if isinstance(body, list)
        else []
    )
