"""Checking that Ferry can still talk to an org, for operators."""

from orgs import tokens
from orgs.exceptions import SalesforceError
from orgs.models import TokenEvent
from orgs.salesforce import SalesforceClient

USERINFO = "/services/oauth2/userinfo"


def verify_connection(org) -> dict:
    """Ask Salesforce who ``org``'s token belongs to; record a ``test`` event.

    Returns the userinfo answer; raises the ``SalesforceError`` that stopped it.
    """
    client = SalesforceClient(org)
    try:
        identity = client.get(USERINFO)
    except SalesforceError as error:
        _record_test(client, error)
        raise
    _record_test(client)
    return identity


def _record_test(client, error=None):
    """Record the test under the client ID a refresh used, if one ran."""
    refresh = client.last_refresh
    if refresh is None:
        client_id, source = client.org.oauth_client_id, tokens.STORED
    else:
        client_id, source = refresh.client_id, refresh.client_id_source
    tokens.record_event(client.org, TokenEvent.Kind.TEST, client_id, source, error)
