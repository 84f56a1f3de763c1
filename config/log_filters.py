import logging
import re

OAUTH_PARAMETERS = re.compile(r"([?&](?:code|state)=)[^&\s\"']+")


class RedactOAuthParameters(logging.Filter):
    """Blank out OAuth codes and states in logged request lines.

    The OAuth callback carries the authorization code in its query string,
    and access logs (runserver's ``django.server``) print whole request lines.
    """

    def filter(self, record):
        message = record.getMessage()
        redacted = OAUTH_PARAMETERS.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
