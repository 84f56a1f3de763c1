"""The emulator's Python API: state, control operations and the mock hook."""

import re
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder, run_wsgi_app

from .app import EmulatorApp
from .config import DEFAULT_SETTINGS, load_config
from .oauth import OAuthError, granted_scopes
from .state import EmulatorState

MOCKED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class Emulator:
    """A set of Salesforce orgs answering over one WSGI app.

    ``config`` is a parsed dict or the path of a JSON file. ``base_url`` is
    set by ``EmulatorServer.start()`` or ``mock()``.
    """

    def __init__(self, config, base_url=None):
        self.config = load_config(config)
        self.state = EmulatorState(self.config)
        self.base_url = base_url
        self.wsgi_app = EmulatorApp(self)
        self.responses_mock = None

    def __repr__(self):
        return (
            f"<Emulator {self.base_url or '(not serving)'} {sorted(self.state.orgs)}>"
        )

    # Looking around

    def instance_url(self, alias):
        if not self.base_url:
            raise RuntimeError("base_url is unset: start an EmulatorServer or mock()")
        with self.state.lock:
            return self.base_url + self.state.org(alias).instance_path

    def login_url(self):
        return self.base_url

    def org(self, alias):
        return self.state.org(alias)

    def app(self, name_or_client_id):
        return self.state.app_named(name_or_client_id)

    @property
    def settings(self):
        return self.state.settings

    @property
    def requests(self):
        with self.state.lock:
            return [dict(entry) for entry in self.state.requests]

    def clear_requests(self):
        with self.state.lock:
            self.state.requests.clear()

    def token_requests(self, grant_type=None, client_id=None):
        return [
            entry
            for entry in self.requests
            if entry["endpoint"] == "token"
            and grant_type in (None, entry["grant_type"])
            and client_id in (None, entry["client_id"])
        ]

    # Control

    def fail_next(self, count, kind, org=None, endpoint=None):
        """Make the next ``count`` matching calls fail.

        ``kind``: "unavailable" (503), "request_limit" (REQUEST_LIMIT_EXCEEDED,
        or rate_limit_exceeded on OAuth endpoints), "timeout" (sleep
        ``timeout_delay_seconds`` then 503) or "invalid_json" (200, cut-off
        body). ``endpoint``: "authorize", "token", "revoke", "userinfo",
        "identity", "introspect", "versions", "resources", "limits", "query",
        "tooling", "sobjects"; None matches any.
        """
        with self.state.lock:
            self.state.add_fault(count, kind, org, endpoint)

    def expire_access_tokens(self, org=None):
        with self.state.lock:
            self.state.expire_access_tokens(org)

    def revoke_refresh_token(self, token):
        """Revoke a refresh token, its whole family and their access tokens."""
        with self.state.lock:
            return self.state.revoke_refresh_token(token)

    def move_instance(self, alias, new_instance_path, keep_old=True):
        """Serve the org at a new path; token responses name the new URL.

        Salesforce keeps old instance hostnames working (by redirect) for a
        while after a move, so by default the old path keeps answering;
        ``keep_old=False`` makes it answer 404 like an unknown instance.
        """
        path = "/" + new_instance_path.strip("/")
        if not re.fullmatch(r"/(instances|domains)/[^/]+", path):
            path = f"/instances/{new_instance_path.strip('/')}"
        with self.state.lock:
            org = self.state.org(alias)
            owner = self.state.paths.get(path)
            if owner is not None and owner is not org:
                raise ValueError(f"{path} already serves org {owner.alias}")
            if not keep_old:
                del self.state.paths[org.instance_path]
            org.instance_path = path
            self.state.paths[path] = org

    def add_component(self, alias, tooling_type, fields):
        with self.state.lock:
            return self.state.org(alias).add_component(tooling_type, fields)

    def change_component(self, alias, tooling_type, name, **fields):
        with self.state.lock:
            return self.state.org(alias).change_component(tooling_type, name, fields)

    def delete_component(self, alias, tooling_type, name):
        with self.state.lock:
            self.state.org(alias).delete_component(tooling_type, name)

    def set_daily_limit(self, alias, limit):
        with self.state.lock:
            self.state.org(alias).daily_api_limit = limit

    def update_settings(self, **settings):
        unknown = set(settings) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        with self.state.lock:
            self.state.settings.update(settings)

    def issue_tokens(self, alias, client_id, username=None, scope=None):
        """Authorize as if the user had signed in; return the /token JSON.

        ``client_id`` may also be an app's name from the config.
        """
        with self.state.lock:
            org = self.state.org(alias)
            app = self.state.app_named(client_id)
            if alias not in app.installed_in:
                raise ValueError(f"app {app.name} is not installed in {alias}")
            user = self.state.find_user(username, org) if username else org.users[0]
            if user is None:
                raise ValueError(f"{alias} has no user {username!r}")
            try:
                scopes = granted_scopes(app, scope)
            except OAuthError as error:
                raise ValueError(str(error)) from error
            grant = self.state.new_grant(app, user, scopes)
            return self.wsgi_app.token_body_for(
                grant, self.base_url or "", grant.refresh_token
            )

    # Serving without a socket

    def mock(self, responses_mock, base_url="http://127.0.0.1:5999"):
        """Route every request to ``base_url`` through the WSGI app in-process."""
        self.base_url = base_url.rstrip("/")
        self.responses_mock = responses_mock
        pattern = re.compile(re.escape(self.base_url) + r"(?:[/?#].*)?$")
        for method in MOCKED_METHODS:
            responses_mock.add_callback(
                method,
                pattern,
                callback=self.handle_prepared_request,
                content_type=None,
            )
        return responses_mock

    def handle_prepared_request(self, request):
        url = urlsplit(request.url)
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        if body is not None and not isinstance(body, bytes):
            body = b"".join(body)
        builder = EnvironBuilder(
            path=url.path or "/",
            base_url=f"{url.scheme}://{url.netloc}",
            query_string=url.query,
            method=request.method,
            headers=dict(request.headers),
            data=body,
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        app_iter, status, headers = run_wsgi_app(self.wsgi_app, environ, buffered=True)
        content = b"".join(app_iter)
        return int(status.split()[0]), dict(headers), content
