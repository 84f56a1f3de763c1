"""
What can go wrong talking to Salesforce, as exceptions a user can act on.

Every exception carries ``user_message``: safe to show on a page or store on
a run, and never containing a token, secret or authorization code.
"""


class SalesforceError(Exception):
    code = ""
    needs_reconnect = False

    def __init__(self, user_message, *, code=None):
        super().__init__(user_message)
        self.user_message = user_message
        if code is not None:
            self.code = code


class ConnectionBroken(SalesforceError):
    """Terminal: retrying cannot help until the org is reconnected or fixed."""

    needs_reconnect = True


class ClientIdMismatch(ConnectionBroken):
    """The org's refresh token does not belong to the client ID presented."""


class RefreshTokenInvalid(ConnectionBroken):
    """Revoked, expired or rotated-out refresh token (``invalid_grant``)."""


class UnknownClientId(ConnectionBroken):
    """The org's stored client ID is not one of the configured apps."""


class TransientSalesforceError(SalesforceError):
    """Salesforce could not answer now; the same call may work later."""


class SalesforceUnavailable(TransientSalesforceError):
    code = "UNAVAILABLE"


class RateLimited(TransientSalesforceError):
    code = "REQUEST_LIMIT_EXCEEDED"


class SalesforceAPIError(SalesforceError):
    """Salesforce answered a REST call with an error body."""


class InvalidResponse(SalesforceError):
    """Salesforce's answer was not what its API promises (garbage JSON, say)."""

    code = "INVALID_RESPONSE"


class UntrustedHost(SalesforceError):
    """A URL Salesforce gave us points outside the allowed Salesforce hosts."""

    code = "UNTRUSTED_HOST"
