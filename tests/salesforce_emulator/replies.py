"""Response builders shared by the OAuth, REST and control endpoints."""

import json

from werkzeug.wrappers import Response

JSON_TYPE = "application/json;charset=UTF-8"


def json_reply(body, status=200, headers=None):
    return Response(
        json.dumps(body), status=status, headers=headers, content_type=JSON_TYPE
    )


def rest_error(status, error_code, message):
    """Salesforce's REST error body: a JSON array of message/errorCode."""
    return json_reply([{"message": message, "errorCode": error_code}], status)


def not_found():
    return rest_error(404, "NOT_FOUND", "The requested resource does not exist")


def session_invalid(message="Session expired or invalid"):
    return rest_error(401, "INVALID_SESSION_ID", message)


def request_limit_exceeded():
    return rest_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def oauth_error(error):
    return json_reply(error.body(), error.status)
