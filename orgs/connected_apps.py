"""
The connected apps Ferry may authorize orgs through, built from settings.

Three come from the names existing deployments use (``SALESFORCE_CLIENT_ID``,
``SALESFORCE_SOURCE_CLIENT_ID``, ``SALESFORCE_TARGET_CLIENT_ID`` and their
secrets). Any number more are listed in ``SALESFORCE_APPS`` as keys, each
described by ``SALESFORCE_APP_<KEY>_LABEL``, ``SALESFORCE_APP_<KEY>_CLIENT_ID``
and ``SALESFORCE_APP_<KEY>_CLIENT_SECRET``.

Salesforce binds a refresh token to the client ID that obtained it, so a
secret is always looked up by client ID, never borrowed from another app.
"""

import os
import re
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULT_KEY = "default"
APP_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def fingerprint(client_id: str) -> str:
    """Shorten a client ID for logs and lists: head, ellipsis and tail."""
    if len(client_id) <= 14:
        return client_id
    return f"{client_id[:6]}…{client_id[-6:]}"


@dataclass(frozen=True)
class ConnectedApp:
    key: str
    label: str
    client_id: str
    client_secret: str = field(default="", repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.client_id)

    @property
    def is_default(self) -> bool:
        return self.key == DEFAULT_KEY

    def __str__(self):
        return f"{self.label} ({self.fingerprint})"


class Registry:
    def __init__(self, apps):
        self.apps = list(apps)
        self._by_key = {app.key: app for app in self.apps}
        self._by_client_id = {}
        for app in self.apps:
            # The same consumer key may be configured under two names (say,
            # default and source); the first one, with its secret, wins.
            self._by_client_id.setdefault(app.client_id, app)

    def __iter__(self):
        return iter(self.apps)

    def __len__(self):
        return len(self.apps)

    @property
    def default(self) -> ConnectedApp | None:
        return self._by_key.get(DEFAULT_KEY)

    @property
    def distinct_client_ids(self) -> list[str]:
        return list(self._by_client_id)

    def by_key(self, key: str) -> ConnectedApp | None:
        return self._by_key.get(key)

    def by_client_id(self, client_id: str) -> ConnectedApp | None:
        return self._by_client_id.get(client_id)

    def choices(self):
        return [(app.key, str(app)) for app in self.apps]


def _builtin_apps():
    named = [
        (DEFAULT_KEY, "Default connected app", "SALESFORCE_CLIENT_ID"),
        ("source", "Source orgs app", "SALESFORCE_SOURCE_CLIENT_ID"),
        ("target", "Target orgs app", "SALESFORCE_TARGET_CLIENT_ID"),
    ]
    for key, label, setting in named:
        client_id = getattr(settings, setting, "")
        if client_id:
            secret_setting = setting.replace("_CLIENT_ID", "_CLIENT_SECRET")
            secret = getattr(settings, secret_setting, "")
            yield ConnectedApp(key, label, client_id, secret)


def _extra_apps():
    for raw_key in settings.SALESFORCE_APPS:
        key = raw_key.strip().lower()
        if not APP_KEY_PATTERN.match(key) or key in ("default", "source", "target"):
            raise ImproperlyConfigured(
                f"SALESFORCE_APPS: {raw_key!r} is not a usable app key; use lower-case "
                "letters, digits and underscores, and none of default/source/target."
            )
        prefix = f"SALESFORCE_APP_{key.upper()}_"
        client_id = os.environ.get(f"{prefix}CLIENT_ID", "")
        if not client_id:
            raise ImproperlyConfigured(
                f"SALESFORCE_APPS lists {key!r} but {prefix}CLIENT_ID is not set."
            )
        label = os.environ.get(f"{prefix}LABEL", key.replace("_", " ").title())
        secret = os.environ.get(f"{prefix}CLIENT_SECRET", "")
        yield ConnectedApp(key, label, client_id, secret)


@cache
def get_registry() -> Registry:
    return Registry([*_builtin_apps(), *_extra_apps()])


@receiver(setting_changed)
def _forget_registry(setting, **kwargs):
    if setting.startswith("SALESFORCE_"):
        get_registry.cache_clear()
