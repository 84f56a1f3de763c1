"""Settings for the test run: production settings plus fast, local choices."""

import os

os.environ.setdefault("SECRET_KEY", "ferry-test-suite-only")
os.environ.setdefault(
    "TOKEN_ENCRYPTION_KEYS", "dGVzdC1zdWl0ZS1vbmx5LWZlcnJ5LWtleS0wMDAwMDA="
)
os.environ.setdefault("HTTPS", "off")
os.environ.setdefault("SALESFORCE_RETRY_WAIT_SECONDS", "0")
# oauthlib insists on HTTPS; the emulator speaks plain HTTP on loopback.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# The connected apps of the local Salesforce emulator's default configuration
# (tests/salesforce_emulator/samples/default.json), which the in-process
# emulator serves at http://127.0.0.1:5999.
EMULATOR_URL = "http://127.0.0.1:5999"
os.environ.setdefault(
    "SALESFORCE_CLIENT_ID",
    "3MVG9FerryDefaultApp.EmulatorConsumerKey.0000000000000000000000000000000000000001",
)
os.environ.setdefault(
    "SALESFORCE_CLIENT_SECRET",
    "FERRY0DEFAULT0APP0SECRET0000000000000000000000000000000000000001",
)
os.environ.setdefault("SALESFORCE_APPS", "sandbox_app")
os.environ.setdefault("SALESFORCE_APP_SANDBOX_APP_LABEL", "Sandbox connected app")
os.environ.setdefault(
    "SALESFORCE_APP_SANDBOX_APP_CLIENT_ID",
    "3MVG9FerrySandboxApp.EmulatorConsumerKey.0000000000000000000000000000000000000002",
)
os.environ.setdefault(
    "SALESFORCE_APP_SANDBOX_APP_CLIENT_SECRET",
    "FERRY0SANDBOX0APP0SECRET0000000000000000000000000000000000000002",
)
os.environ.setdefault("SALESFORCE_LOGIN_URL", EMULATOR_URL)
os.environ.setdefault("SALESFORCE_SANDBOX_LOGIN_URL", EMULATOR_URL)
os.environ.setdefault(
    "SALESFORCE_CALLBACK_URL", "http://testserver/orgs/oauth/callback/"
)

from config.settings import *  # noqa: E402, F403
from config.settings import SALESFORCE_ALLOWED_HOSTS, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# The local Salesforce emulator answers on loopback.
SALESFORCE_ALLOWED_HOSTS = [*SALESFORCE_ALLOWED_HOSTS, "127.0.0.1", "localhost"]
