"""Checking that Ferry can still talk to an org, for operators."""

from orgs import tokens
from orgs.exceptions import SalesforceAPIError, SalesforceError
from orgs.models import TokenEvent
from orgs.salesforce import SalesforceClient

USERINFO = "/services/oauth2/userinfo"


def verify_connection(org) -> dict:
    """Ask Salesforce who ``org``'s token belongs to; record a ``test`` event.

    Returns the userinfo answer; raises the ``SalesforceError`` that stopped it.
    """
    client = SalesforceClient(org)
    try:
        identity = _userinfo(client)
    except SalesforceError as error:
        _record_test(client, error)
        raise
    _record_test(client)
    return identity


def _userinfo(client):
    try:
        return client.get(USERINFO)
    except SalesforceAPIError as error:
        # userinfo answers a stale token with 403 Bad_OAuth_Token, not the
        # REST API's 401 INVALID_SESSION_ID, so the client cannot tell it is
        # stale. Refresh once here and ask again; a second 403 is an error.
        if error.code != "HTTP_403" or client.last_refresh is not None:
            raise
    client.last_refresh = tokens.refresh_access_token(client.org)
    client.org = client.last_refresh.org
    return client.get(USERINFO)


def _record_test(client, error=None):
    """Record the test under the client ID a refresh used, if one ran."""
    refresh = client.last_refresh
    if refresh is None:
        client_id, source = client.org.oauth_client_id, tokens.STORED
    else:
        client_id, source = refresh.client_id, refresh.client_id_source
    tokens.record_event(client.org, TokenEvent.Kind.TEST, client_id, source, error)
