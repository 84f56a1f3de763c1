"""Load and validate the emulator's JSON configuration.

Every error names the key at fault, e.g.
``orgs[1].org_id: must be 18 characters starting with 00D``.
"""

import copy
import json
from pathlib import Path

from .ids import is_valid_18

DEFAULT_CONFIG_PATH = Path(__file__).parent / "samples" / "default.json"
ORG_TYPES = ("production", "sandbox", "developer", "scratch")
DEFAULT_API_VERSIONS = [f"{number}.0" for number in range(55, 68)]

DEFAULT_SETTINGS = {
    "access_token_ttl_seconds": 7200,
    "query_batch_size": 2000,
    "auto_approve": False,
    "api_versions": DEFAULT_API_VERSIONS,
    # Salesforce compares callback URLs exactly. Test live servers pick a
    # random port, so this lets any port of a loopback host stand in for a
    # registered loopback callback with the same path.
    "allow_loopback_redirects": False,
    "timeout_delay_seconds": 3,
    "token_delay_seconds": 0,
    "authorization_code_ttl_seconds": 900,
    "query_locator_ttl_seconds": 900,
    "max_query_cursors_per_user": 10,
    "max_refresh_tokens_per_user": 5,
    "daily_api_limit": 15000,
}

ORG_KEYS = {
    "alias",
    "org_id",
    "name",
    "type",
    "my_domain",
    "instance_name",
    "edition",
    "trial_expiration_date",
    "daily_api_limit",
    "users",
    "sfdx",
    "components",
}
USER_KEYS = {"username", "password", "name", "email", "active"}
APP_KEYS = {
    "name",
    "client_id",
    "client_secret",
    "redirect_uris",
    "installed_in",
    "rotate_refresh_tokens",
    "require_secret",
    "scopes",
}
DEFAULT_APP_SCOPES = ["api", "id", "refresh_token", "web"]

KNOWN_SCOPES = {
    "api",
    "chatter_api",
    "custom_permissions",
    "email",
    "full",
    "id",
    "lightning",
    "offline_access",
    "openid",
    "profile",
    "refresh_token",
    "visualforce",
    "web",
}


class ConfigError(ValueError):
    """A configuration that cannot start the emulator."""

    def __init__(self, key, message):
        super().__init__(f"{key}: {message}")
        self.key = key


def load_config(source):
    """Return a validated copy of ``source`` with defaults filled in.

    ``source`` is a parsed dict or the path of a JSON file; relative paths in
    a file resolve against the file's folder. Loading a loaded config again
    gives the same result.
    """
    if isinstance(source, dict):
        raw = _copy_config(source)
        base_dir = Path.cwd()
    else:
        path = Path(source)
        try:
            raw = json.loads(path.read_text())
        except OSError as error:
            raise ConfigError("config", f"cannot read {path}: {error}") from error
        except json.JSONDecodeError as error:
            raise ConfigError("config", f"{path} is not valid JSON: {error}") from error
        base_dir = path.resolve().parent
    if not isinstance(raw, dict):
        raise ConfigError("config", "must be a JSON object")

    unknown = set(raw) - {"apps", "orgs", "settings"}
    if unknown:
        raise ConfigError(sorted(unknown)[0], "unknown top-level key")
    settings = _settings(raw.get("settings", {}))
    orgs = _orgs(raw.get("orgs"), base_dir)
    apps = _apps(raw.get("apps", []), {org["alias"] for org in orgs})
    return {"settings": settings, "apps": apps, "orgs": orgs}


def _copy_config(source):
    """Deep-copy all but component specs, which are only ever read.

    A benchmark org holds tens of thousands of specs; copying each would
    make loading slow for no gain.
    """
    orgs = source.get("orgs")
    if not isinstance(orgs, list):
        return copy.deepcopy(source)
    copied = copy.deepcopy(
        {key: value for key, value in source.items() if key != "orgs"}
    )
    copied["orgs"] = []
    for org in orgs:
        if not isinstance(org, dict) or not isinstance(org.get("components"), dict):
            copied["orgs"].append(copy.deepcopy(org))
            continue
        rest = copy.deepcopy(
            {key: value for key, value in org.items() if key != "components"}
        )
        rest["components"] = {
            tooling_type: list(specs) if isinstance(specs, list) else specs
            for tooling_type, specs in org["components"].items()
        }
        copied["orgs"].append(rest)
    return copied


def _settings(raw):
    _require_type("settings", raw, dict, "an object")
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    for key, value in raw.items():
        where = f"settings.{key}"
        if key not in DEFAULT_SETTINGS:
            raise ConfigError(where, "unknown setting")
        default = DEFAULT_SETTINGS[key]
        if isinstance(default, bool):
            _require_type(where, value, bool, "true or false")
        elif isinstance(default, list):
            _require_string_list(where, value)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(where, "must be a number")
        elif value < 0:
            raise ConfigError(where, "must not be negative")
        settings[key] = value
    batch_size = settings["query_batch_size"]
    if not 200 <= batch_size <= 2000:
        raise ConfigError("settings.query_batch_size", "must be 200 to 2000")
    return settings


def _orgs(raw, base_dir):
    if raw is None:
        raise ConfigError("orgs", "is required")
    _require_type("orgs", raw, list, "a list")
    if not raw:
        raise ConfigError("orgs", "must list at least one org")
    orgs, aliases, org_ids, my_domains = [], set(), set(), set()
    for index, org in enumerate(raw):
        where = f"orgs[{index}]"
        _require_type(where, org, dict, "an object")
        _reject_unknown(where, org, ORG_KEYS)

        alias = _require_string(f"{where}.alias", org.get("alias"))
        if "/" in alias or alias in aliases:
            raise ConfigError(f"{where}.alias", "must be unique and contain no '/'")
        aliases.add(alias)
        org_id = org.get("org_id")
        if not (isinstance(org_id, str) and org_id.startswith("00D")) or not (
            is_valid_18(org_id)
        ):
            raise ConfigError(
                f"{where}.org_id",
                "must be 18 characters starting with 00D (with a valid checksum)",
            )
        if org_id in org_ids:
            raise ConfigError(f"{where}.org_id", "is used by another org")
        org_ids.add(org_id)
        org_type = org.get("type", "production")
        if org_type not in ORG_TYPES:
            raise ConfigError(f"{where}.type", f"must be one of {', '.join(ORG_TYPES)}")

        my_domain = org.get("my_domain")
        if my_domain is not None:
            _require_string(f"{where}.my_domain", my_domain)
            if "/" in my_domain or my_domain in my_domains:
                raise ConfigError(
                    f"{where}.my_domain", "must be unique and contain no '/'"
                )
            my_domains.add(my_domain)

        sfdx = org.get("sfdx")
        if sfdx is not None:
            sfdx_path = base_dir / _require_string(f"{where}.sfdx", sfdx)
            if not (sfdx_path / "sfdx-project.json").is_file():
                raise ConfigError(
                    f"{where}.sfdx", f"{sfdx_path} has no sfdx-project.json"
                )
            sfdx = str(sfdx_path.resolve())
        components = org.get("components", {})
        _require_type(f"{where}.components", components, dict, "an object")
        for tooling_type, records in components.items():
            _require_type(f"{where}.components.{tooling_type}", records, list, "a list")

        limit = org.get("daily_api_limit")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ConfigError(f"{where}.daily_api_limit", "must be a whole number")
        orgs.append(
            {
                "alias": alias,
                "org_id": org_id,
                "name": _require_string(f"{where}.name", org.get("name", alias)),
                "type": org_type,
                "my_domain": my_domain,
                "instance_name": org.get("instance_name"),
                "edition": org.get("edition"),
                "trial_expiration_date": org.get("trial_expiration_date"),
                "daily_api_limit": limit,
                "users": _users(f"{where}.users", org.get("users")),
                "sfdx": sfdx,
                "components": components,
            }
        )
    return orgs


def _users(where, raw):
    if raw is None:
        raise ConfigError(where, "is required (each org needs a user to sign in)")
    _require_type(where, raw, list, "a list")
    if not raw:
        raise ConfigError(where, "must list at least one user")
    users = []
    for index, user in enumerate(raw):
        user_where = f"{where}[{index}]"
        _require_type(user_where, user, dict, "an object")
        _reject_unknown(user_where, user, USER_KEYS)
        username = _require_string(f"{user_where}.username", user.get("username"))
        if "@" not in username:
            raise ConfigError(f"{user_where}.username", "must look like an email")
        users.append(
            {
                "username": username,
                "password": _require_string(
                    f"{user_where}.password", user.get("password")
                ),
                "name": user.get("name") or _name_from_username(username),
                "email": user.get("email") or username,
                "active": user.get("active", True),
            }
        )
    return users


def _apps(raw, aliases):
    _require_type("apps", raw, list, "a list")
    apps, names, client_ids = [], set(), set()
    for index, app in enumerate(raw):
        where = f"apps[{index}]"
        _require_type(where, app, dict, "an object")
        _reject_unknown(where, app, APP_KEYS)
        name = _require_string(f"{where}.name", app.get("name", f"app{index}"))
        client_id = _require_string(f"{where}.client_id", app.get("client_id"))
        if name in names or client_id in client_ids:
            raise ConfigError(f"{where}.client_id", "name and client_id must be unique")
        names.add(name)
        client_ids.add(client_id)

        secret = app.get("client_secret")
        if secret is not None:
            _require_string(f"{where}.client_secret", secret)
        redirect_uris = app.get("redirect_uris", [])
        _require_string_list(f"{where}.redirect_uris", redirect_uris)
        installed_in = app.get("installed_in", sorted(aliases))
        _require_string_list(f"{where}.installed_in", installed_in)
        for position, alias in enumerate(installed_in):
            if alias not in aliases:
                raise ConfigError(
                    f"{where}.installed_in[{position}]", f"no org has alias {alias!r}"
                )
        scopes = app.get("scopes", DEFAULT_APP_SCOPES)
        _require_string_list(f"{where}.scopes", scopes)
        for position, scope in enumerate(scopes):
            if scope not in KNOWN_SCOPES:
                raise ConfigError(f"{where}.scopes[{position}]", "unknown scope")
            if scope == "openid":
                # Granting openid without minting an id_token would mislead.
                raise ConfigError(
                    f"{where}.scopes[{position}]",
                    "openid is not emulated (no id_token)",
                )
        for flag in ("rotate_refresh_tokens", "require_secret"):
            if flag in app:
                _require_type(f"{where}.{flag}", app[flag], bool, "true or false")
        apps.append(
            {
                "name": name,
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": list(redirect_uris),
                "installed_in": list(installed_in),
                "rotate_refresh_tokens": app.get("rotate_refresh_tokens", False),
                "require_secret": app.get("require_secret", secret is not None),
                "scopes": list(scopes),
            }
        )
    return apps


def _reject_unknown(where, mapping, allowed):
    unknown = set(mapping) - allowed
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown key")


def _name_from_username(username):
    local = username.split("@")[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split("."))


def _require_type(where, value, expected, description):
    if not isinstance(value, expected):
        raise ConfigError(where, f"must be {description}")
    return value


def _require_string(where, value):
    if not isinstance(value, str) or not value:
        raise ConfigError(where, "must be a non-empty string")
    return value


def _require_string_list(where, value):
    _require_type(where, value, list, "a list of strings")
    for index, item in enumerate(value):
        _require_string(f"{where}[{index}]", item)
    return value
