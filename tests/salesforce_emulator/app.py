"""The WSGI application: one port for the login host and every org.

``/services/...`` and ``/id/...`` at the root are the login host. An org's
instance URL is a path on the same port: ``/instances/<alias>`` or, for an
org with a My Domain, ``/domains/<my_domain>``; every OAuth endpoint works
there too, as on a real My Domain. ``/_emulator/...`` is the control API.
"""

import html
import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import oauth
from .components import ComponentError
from .oauth import OAuthError
from .replies import JSON_TYPE, json_reply, not_found, oauth_error, rest_error
from .rest import DataApi, versions
from .state import identity_ids

DATA = "/services/data/v<version>"
URL_MAP = Map(
    [
        Rule("/services/oauth2/authorize", endpoint="authorize"),
        Rule("/services/oauth2/token", endpoint="token", methods=["POST"]),
        Rule("/services/oauth2/revoke", endpoint="revoke", methods=["GET", "POST"]),
        Rule("/services/oauth2/userinfo", endpoint="userinfo"),
        Rule("/services/oauth2/introspect", endpoint="introspect", methods=["POST"]),
        Rule("/id/<org_id>/<user_id>", endpoint="identity"),
        Rule("/services/data/", endpoint="versions", methods=["GET"]),
        Rule(f"{DATA}/", endpoint="resources", methods=["GET"]),
        Rule(f"{DATA}/limits", endpoint="limits", methods=["GET"]),
        Rule(f"{DATA}/query", endpoint="query", methods=["GET"]),
        Rule(f"{DATA}/queryAll", endpoint="query", methods=["GET"]),
        Rule(f"{DATA}/query/<locator>", endpoint="query_more", methods=["GET"]),
        Rule(f"{DATA}/tooling/query", endpoint="tooling", methods=["GET"]),
        Rule(f"{DATA}/tooling/query/<locator>", endpoint="tooling_more"),
        Rule(f"{DATA}/sobjects/<type_name>/<record_id>", endpoint="sobjects"),
        Rule(
            f"{DATA}/tooling/sobjects/<type_name>/<record_id>",
            endpoint="tooling_record",
        ),
    ],
    strict_slashes=False,
)
# Which fault-injection endpoint name each route answers to.
FAULT_ENDPOINTS = {
    "query_more": "query",
    "tooling_more": "tooling",
    "tooling_record": "tooling",
}
REST_ENDPOINTS = {
    "resources",
    "limits",
    "query",
    "query_more",
    "tooling",
    "tooling_more",
    "sobjects",
    "tooling_record",
}

CONTROL_MAP = Map(
    [
        Rule("/_emulator/", endpoint="summary", methods=["GET"]),
        Rule("/_emulator/requests", endpoint="requests", methods=["GET", "DELETE"]),
        Rule("/_emulator/fail_next", endpoint="fail_next", methods=["POST"]),
        Rule("/_emulator/expire_access_tokens", endpoint="expire", methods=["POST"]),
        Rule("/_emulator/revoke_refresh_token", endpoint="revoke", methods=["POST"]),
        Rule("/_emulator/move_instance", endpoint="move", methods=["POST"]),
        Rule("/_emulator/daily_limit", endpoint="daily_limit", methods=["POST"]),
        Rule("/_emulator/settings", endpoint="settings", methods=["POST"]),
        Rule("/_emulator/issue_tokens", endpoint="issue_tokens", methods=["POST"]),
        Rule(
            "/_emulator/orgs/<alias>/components/<tooling_type>",
            endpoint="add_component",
            methods=["POST"],
        ),
        Rule(
            "/_emulator/orgs/<alias>/components/<tooling_type>/<path:name>",
            endpoint="component",
            methods=["PATCH", "DELETE"],
        ),
    ],
    strict_slashes=False,
)


@dataclass
class Call:
    """One request as the handlers and the request log see it."""

    request: Request
    host_org: object
    endpoint: str = None
    org_alias: str = None
    client_id: str = None
    grant_type: str = None
    query: str = None


class EmulatorApp:
    def __init__(self, emulator):
        self.emulator = emulator
        self.state = emulator.state

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator"):
            response = self.control(request)
        else:
            response = self.dispatch(request)
        return response(environ, start_response)

    # Routing, faults and the log

    def dispatch(self, request):
        host_org, path = self._split_instance(request.path)
        call = Call(request, host_org)
        if path is None:
            return self._logged(call, not_found())
        try:
            endpoint, arguments = URL_MAP.bind("emulator").match(path, request.method)
        except MethodNotAllowed:
            return self._logged(
                call, rest_error(405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed")
            )
        except NotFound:
            return self._logged(call, not_found())
        call.endpoint = endpoint
        call.org_alias = self._org_alias(call)
        if endpoint in REST_ENDPOINTS and host_org is None:
            # The login host serves no data API; clients must use instance_url.
            return self._logged(call, not_found())

        fault = self._take_fault(call)
        if fault is not None:
            response = self._fault_response(fault, call)
        else:
            response = getattr(self, f"on_{endpoint}")(call, **arguments)
        if endpoint in REST_ENDPOINTS:
            with self.state.lock:
                usage = f"{host_org.api_usage}/{host_org.daily_api_limit}"
            response.headers["Sforce-Limit-Info"] = f"api-usage={usage}"
        return self._logged(call, response)

    def _split_instance(self, path):
        """Return (org, path below the instance) or (None, path) for login."""
        parts = path.split("/", 3)
        if len(parts) >= 3 and parts[1] in ("instances", "domains"):
            with self.state.lock:
                org = self.state.paths.get(f"/{parts[1]}/{parts[2]}")
            if org is None:
                return None, None
            return org, "/" + (parts[3] if len(parts) == 4 else "")
        return None, path

    def _org_alias(self, call):
        if call.host_org is not None:
            return call.host_org.alias
        request = call.request
        with self.state.lock:
            token = request.headers.get("Authorization", "").partition(" ")[2]
            access = self.state.access_tokens.get(token.strip())
            if access is not None:
                return access.org.alias
            grant = self.state.refresh_tokens.get(request.form.get("refresh_token", ""))
            if grant is not None:
                return grant.user.org.alias
            code = self.state.codes.get(request.form.get("code", ""))
            if code is not None:
                return code.user.org.alias
        return None

    def _take_fault(self, call):
        endpoint = FAULT_ENDPOINTS.get(call.endpoint, call.endpoint)
        with self.state.lock:
            return self.state.take_fault(call.org_alias, endpoint)

    def _fault_response(self, fault, call):
        if fault.kind == "timeout":
            time.sleep(self.state.settings["timeout_delay_seconds"])
        if fault.kind == "invalid_json":
            # A truncated body, as from a proxy cut off mid-answer.
            return Response('{"totalSize": 1, "done": tr', content_type=JSON_TYPE)
        is_oauth = call.endpoint in ("authorize", "token", "revoke", "introspect")
        if fault.kind == "request_limit":
            if is_oauth:
                return oauth_error(
                    OAuthError("rate_limit_exceeded", "rate limit exceeded")
                )
            return rest_error(
                403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
            )
        if is_oauth:
            return oauth_error(
                OAuthError("service_unavailable", "service unavailable", 503)
            )
        return rest_error(503, "SERVER_UNAVAILABLE", "Server unavailable")

    def _logged(self, call, response):
        entry = {
            "method": call.request.method,
            "path": call.request.path,
            "endpoint": FAULT_ENDPOINTS.get(call.endpoint, call.endpoint),
            "org_alias": call.org_alias,
            "client_id": call.client_id,
            "grant_type": call.grant_type,
            "status": response.status_code,
            "query": call.query,
            "time": time.time(),
        }
        with self.state.lock:
            self.state.requests.append(entry)
        return response

    def base_url(self, request):
        return self.emulator.base_url or request.host_url.rstrip("/")

    def instance_url(self, request, org):
        return self.base_url(request) + org.instance_path

    # OAuth endpoints

    def on_authorize(self, call):
        request = call.request
        params = request.values
        call.client_id = params.get("client_id")
        with self.state.lock:
            app = self.state.apps.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri")
        # Without a trusted callback Salesforce shows the error on a page.
        if app is None:
            return self._error_page("invalid_client_id", "client identifier invalid")
        if not redirect_uri:
            return self._error_page(
                "redirect_uri_missing", "redirect_uri must be provided"
            )
        if not oauth.redirect_uri_allowed(app, redirect_uri, self.state.settings):
            return self._error_page(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
        redirect = AuthorizeRedirect(redirect_uri, params.get("state"))

        if params.get("response_type") != "code":
            return redirect.error(
                "unsupported_response_type", "response type not supported"
            )
        method = params.get("code_challenge_method")
        if method not in (None, "", "S256"):
            return redirect.error(
                "invalid_request", "unsupported code challenge method"
            )
        try:
            scopes = oauth.granted_scopes(app, params.get("scope"))
        except OAuthError as error:
            return redirect.error(error.error, error.description)

        org = call.host_org
        settings = self.state.settings
        if settings["auto_approve"]:
            with self.state.lock:
                user = self.state.find_user(params.get("login_hint", ""), org)
                if user is None:
                    candidates = (
                        org.users if org else next(iter(self.state.orgs.values())).users
                    )
                    user = candidates[0]
            return self._approve(call, app, user, scopes, redirect)
        if params.get("immediate") == "true":
            return redirect.error("immediate_unsuccessful", "user is not logged in")
        if request.method != "POST":
            return self._login_page(request)
        if request.form.get("action") == "deny":
            return redirect.error("access_denied", "end-user denied authorization")

        with self.state.lock:
            user = self.state.find_user(request.form.get("username", ""), org)
        password_ok = user is not None and request.form.get("password") == user.password
        if not password_ok or not user.active:
            return self._login_page(
                request,
                "Please check your username and password. If you still can't log"
                " in, contact your Salesforce administrator.",
            )
        return self._approve(call, app, user, scopes, redirect)

    def _approve(self, call, app, user, scopes, redirect):
        call.org_alias = user.org.alias
        if user.org.alias not in app.installed_in:
            # Salesforce publishes no authorize-time text for an external
            # client app missing from the org; the callback is trusted (it
            # belongs to the app), so the token endpoint's error is sent there.
            return redirect.error("app_not_found", oauth.APP_NOT_FOUND)
        challenge = call.request.values.get("code_challenge") or None
        with self.state.lock:
            code = oauth.new_authorization_code(
                self.state, app, user, redirect.uri, scopes, challenge
            )
        return redirect.send({"code": code})

    def _login_page(self, request, error=None):
        # The form posts to the bare path, so the OAuth parameters travel
        # once, as hidden fields.
        params = request.values
        hidden = "".join(
            HIDDEN_INPUT.format(name=html.escape(key), value=html.escape(value))
            for key, value in params.items()
            if key not in ("username", "password", "action")
        )
        username = html.escape(params.get("username") or params.get("login_hint") or "")
        message = (
            f'<div id="error" class="loginError">{html.escape(error)}</div>'
            if error
            else ""
        )
        page = LOGIN_PAGE.format(
            action=html.escape(request.path),
            hidden=hidden,
            username=username,
            error=message,
        )
        return Response(page, content_type="text/html; charset=utf-8")

    @staticmethod
    def _error_page(error, description):
        page = ERROR_PAGE.format(
            error=html.escape(error), description=html.escape(description)
        )
        return Response(page, status=400, content_type="text/html; charset=utf-8")

    def on_token(self, call):
        request = call.request
        form = request.form
        call.grant_type = form.get("grant_type")
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if request.authorization and request.authorization.type == "basic":
            client_id = request.authorization.username
            client_secret = request.authorization.password
        call.client_id = client_id
        try:
            if not call.grant_type:
                raise OAuthError("invalid_request", "grant type is missing")
            if call.grant_type not in ("authorization_code", "refresh_token"):
                raise OAuthError("unsupported_grant_type", "grant type not supported")
            with self.state.lock:
                app = oauth.check_client(
                    self.state, client_id, client_secret, secret_required=True
                )
            if call.grant_type == "authorization_code":
                return self._exchange_code(call, app)
            return self._refresh(call, app)
        except OAuthError as error:
            return oauth_error(error)

    def _exchange_code(self, call, app):
        with self.state.lock:
            grant = oauth.exchange_code(
                self.state, call.request.form, app, call.host_org
            )
            call.org_alias = grant.user.org.alias
            return json_reply(self._token_body(call, grant, grant.refresh_token))

    def _refresh(self, call, app):
        with self.state.lock:
            grant, token = oauth.claim_refresh(
                self.state, call.request.form, app, call.host_org
            )
            call.org_alias = grant.user.org.alias
        delay = self.state.settings["token_delay_seconds"]
        if delay:
            # Lets tests overlap two refreshes of the same token.
            time.sleep(delay)
        with self.state.lock:
            new_refresh_token = oauth.finish_refresh(self.state, grant, token)
            return json_reply(self._token_body(call, grant, new_refresh_token))

    def _token_body(self, call, grant, refresh_token):
        return self.token_body_for(grant, self.base_url(call.request), refresh_token)

    def token_body_for(self, grant, base_url, refresh_token):
        """Return token JSON; ``refresh_token`` only when one is handed out."""
        instance_url = base_url + grant.user.org.instance_path
        return oauth.token_response(
            self.state, grant, base_url, instance_url, refresh_token
        )

    def on_revoke(self, call):
        token = call.request.values.get("token", "")
        with self.state.lock:
            access = self.state.access_tokens.get(token)
            if access is not None:
                access.revoked = True
                return Response(status=200)
            if self.state.revoke_refresh_token(token):
                return Response(status=200)
        return oauth_error(OAuthError("invalid_token", "invalid token"))

    def _bearer(self, call):
        token = call.request.headers.get("Authorization", "").partition(" ")[2].strip()
        token = token or call.request.values.get("oauth_token", "")
        with self.state.lock:
            access = self.state.valid_access_token(token)
        if access is None or (call.host_org and access.org is not call.host_org):
            return None
        call.client_id = access.app.client_id
        return access

    def on_userinfo(self, call):
        access = self._bearer(call)
        if access is None:
            return Response("Bad_OAuth_Token", status=403, content_type="text/plain")
        user = access.user
        org_id, user_id = identity_ids(user)
        identity_url = f"{self.base_url(call.request)}/id/{org_id}/{user_id}"
        first, _, last = user.name.rpartition(" ")
        return json_reply(
            {
                "sub": identity_url,
                "user_id": user_id,
                "organization_id": org_id,
                "preferred_username": user.username,
                "nickname": user.username.split("@")[0],
                "name": user.name,
                "email": user.email,
                "email_verified": True,
                "given_name": first,
                "family_name": last,
                "zoneinfo": "Europe/London",
                "photos": {"picture": None, "thumbnail": None},
                "profile": f"{self.instance_url(call.request, user.org)}/{user_id}",
                "picture": None,
                "address": {"country": "GB"},
                "is_salesforce_integration_user": False,
                "urls": self._identity_urls(call, user),
                "active": user.active,
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_GB",
                "utcOffset": 0,
                "updated_at": "2025-01-01T09:00:00Z",
                "is_app_installed": True,
            }
        )

    def on_identity(self, call, org_id, user_id):
        access = self._bearer(call)
        if access is None:
            return Response("Bad_OAuth_Token", status=403, content_type="text/plain")
        with self.state.lock:
            user = self.state.user_for_identity(org_id, user_id)
        if user is None or user.org is not access.org:
            return Response("Bad_Id", status=403, content_type="text/plain")
        org18, user18 = identity_ids(user)
        first, _, last = user.name.rpartition(" ")
        return json_reply(
            {
                "id": f"{self.base_url(call.request)}/id/{org18}/{user18}",
                "asserted_user": user is access.user,
                "user_id": user18,
                "organization_id": org18,
                "username": user.username,
                "nick_name": user.username.split("@")[0],
                "display_name": user.name,
                "email": user.email,
                "email_verified": True,
                "first_name": first,
                "last_name": last,
                "timezone": "Europe/London",
                "photos": {"picture": None, "thumbnail": None},
                "active": user.active,
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_GB",
                "utcOffset": 0,
                "last_modified_date": "2025-01-01T09:00:00.000+0000",
                "is_app_installed": True,
                "urls": self._identity_urls(call, user),
            }
        )

    def _identity_urls(self, call, user):
        base = self.instance_url(call.request, user.org)
        version = call.request.args.get("version") or "{version}"
        if version == "latest":
            version = self.state.settings["api_versions"][-1]
        data = f"{base}/services/data/v{version}"
        org18, user18 = identity_ids(user)
        return {
            "enterprise": f"{base}/services/Soap/c/{version}/{org18}",
            "metadata": f"{base}/services/Soap/m/{version}/{org18}",
            "partner": f"{base}/services/Soap/u/{version}/{org18}",
            "rest": f"{data}/",
            "sobjects": f"{data}/sobjects/",
            "search": f"{data}/search/",
            "query": f"{data}/query/",
            "recent": f"{data}/recent/",
            "tooling_soap": f"{base}/services/Soap/T/{version}/{org18}",
            "tooling_rest": f"{data}/tooling/",
            "profile": f"{base}/{user18}",
            "feeds": f"{data}/chatter/feeds",
            "groups": f"{data}/chatter/groups",
            "users": f"{data}/chatter/users",
            "feed_items": f"{data}/chatter/feed-items",
            "feed_elements": f"{data}/chatter/feed-elements",
            "custom_domain": base if user.org.my_domain else None,
        }

    def on_introspect(self, call):
        form = call.request.form
        token = form.get("token", "")
        with self.state.lock:
            access = self.state.valid_access_token(token)
            grant = self.state.refresh_tokens.get(token)
        if access is not None:
            user, kind, app = access.user, "access_token", access.app
            issued, expires = int(access.issued_at), int(access.expires_at)
        elif grant is not None and not grant.revoked and token == grant.refresh_token:
            user, kind, app = grant.user, "refresh_token", grant.app
            issued, expires = int(grant.created_at), None
        else:
            return json_reply({"active": False})
        org18, user18 = identity_ids(user)
        return json_reply(
            {
                "active": True,
                "scope": " ".join(
                    (access or grant).grant.scopes if access else grant.scopes
                ),
                "client_id": app.client_id,
                "username": user.username,
                "sub": f"{self.base_url(call.request)}/id/{org18}/{user18}",
                "token_type": kind,
                "exp": expires,
                "iat": issued,
                "nbf": issued,
            }
        )

    # Data API

    def on_versions(self, call):
        return versions(self.state.settings)

    def _data_call(self, call, version, handler):
        api = DataApi(self.state, call)
        with self.state.lock:
            access, refusal = api.admit(version)
            if refusal is not None:
                return refusal
            return handler(api, access)

    def on_resources(self, call, version):
        return self._data_call(
            call, version, lambda api, access: api.resources(version)
        )

    def on_limits(self, call, version):
        return self._data_call(call, version, lambda api, access: api.limits())

    def on_query(self, call, version):
        return self._data_call(
            call, version, lambda api, access: api.query(access, version, tooling=False)
        )

    def on_tooling(self, call, version):
        return self._data_call(
            call, version, lambda api, access: api.query(access, version, tooling=True)
        )

    def on_query_more(self, call, version, locator):
        return self._data_call(
            call, version, lambda api, access: api.query_more(version, locator, False)
        )

    def on_tooling_more(self, call, version, locator):
        return self._data_call(
            call, version, lambda api, access: api.query_more(version, locator, True)
        )

    def on_sobjects(self, call, version, type_name, record_id):
        return self._data_call(
            call,
            version,
            lambda api, access: api.record(version, type_name, record_id, False),
        )

    def on_tooling_record(self, call, version, type_name, record_id):
        return self._data_call(
            call,
            version,
            lambda api, access: api.record(version, type_name, record_id, True),
        )

    # Control API

    def control(self, request):
        try:
            endpoint, arguments = CONTROL_MAP.bind("emulator").match(
                request.path, request.method
            )
        except HTTPException as error:
            return json_reply({"error": error.name}, error.code)
        if request.method == "DELETE":
            endpoint = f"delete_{endpoint}"
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            return json_reply(getattr(self, f"control_{endpoint}")(body, **arguments))
        except (KeyError, ValueError, TypeError, ComponentError) as error:
            return json_reply({"error": str(error)}, 400)

    def control_summary(self, body):
        emulator = self.emulator
        return {
            "base_url": emulator.base_url,
            "orgs": [
                {
                    "alias": org.alias,
                    "org_id": org.org_id,
                    "name": org.name,
                    "type": org.type,
                    "instance_url": emulator.instance_url(org.alias),
                    "usernames": [user.username for user in org.users],
                }
                for org in self.state.orgs.values()
            ],
            "apps": [
                {
                    "name": app.name,
                    "client_id": app.client_id,
                    "installed_in": app.installed_in,
                }
                for app in self.state.apps.values()
            ],
        }

    def control_requests(self, body):
        return self.emulator.requests

    def control_delete_requests(self, body):
        self.emulator.clear_requests()
        return {"ok": True}

    def control_fail_next(self, body):
        self.emulator.fail_next(
            body.get("count", 1), body["kind"], body.get("org"), body.get("endpoint")
        )
        return {"ok": True}

    def control_expire(self, body):
        self.emulator.expire_access_tokens(body.get("org"))
        return {"ok": True}

    def control_revoke(self, body):
        return {"revoked": self.emulator.revoke_refresh_token(body["token"])}

    def control_move(self, body):
        self.emulator.move_instance(
            body["org"], body["path"], body.get("keep_old", True)
        )
        return {"instance_url": self.emulator.instance_url(body["org"])}

    def control_daily_limit(self, body):
        self.emulator.set_daily_limit(body["org"], body["limit"])
        return {"ok": True}

    def control_settings(self, body):
        self.emulator.update_settings(**body)
        return dict(self.state.settings)

    def control_issue_tokens(self, body):
        return self.emulator.issue_tokens(
            body["org"], body["client_id"], body.get("username")
        )

    def control_add_component(self, body, alias, tooling_type):
        return _public(self.emulator.add_component(alias, tooling_type, body))

    def control_component(self, body, alias, tooling_type, name):
        return _public(
            self.emulator.change_component(alias, tooling_type, name, **body)
        )

    def control_delete_component(self, body, alias, tooling_type, name):
        self.emulator.delete_component(alias, tooling_type, name)
        return {"ok": True}


def _public(record):
    return {key: value for key, value in record.items() if not key.startswith("_")}


class AuthorizeRedirect:
    """The callback redirect, echoing ``state`` untouched."""

    def __init__(self, uri, state):
        self.uri = uri
        self.state = state

    def send(self, params):
        if self.state is not None:
            params = {**params, "state": self.state}
        separator = "&" if "?" in self.uri else "?"
        response = Response(status=302)
        response.headers["Location"] = self.uri + separator + urlencode(params)
        return response

    def error(self, error, description):
        return self.send({"error": error, "error_description": description})


HIDDEN_INPUT = '<input type="hidden" name="{name}" value="{value}">'
LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Login | Salesforce (emulator)</title></head>
<body>
<main>
<h1>Salesforce emulator</h1>
<p>Log in to allow the app to access your org.</p>
{error}
<form id="login_form" method="post" action="{action}">
{hidden}
<label for="username">Username</label>
<input id="username" name="username" type="email" value="{username}"
  autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password"
  autocomplete="current-password">
<button id="Login" name="action" value="allow" type="submit">Log In and Allow</button>
<button id="oadeny" name="action" value="deny" type="submit" formnovalidate>
  Deny</button>
</form>
</main>
</body>
</html>
"""

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Error | Salesforce (emulator)</title></head>
<body>
<h1>OAuth error</h1>
<p>error=<span id="error">{error}</span></p>
<p>error_description=<span id="error_description">{description}</span></p>
</body>
</html>
"""
