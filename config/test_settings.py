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
os.environ.setdefault("SALESFORCE_CLIENT_ID", "3MVG9FerryDefaultTestClientId")
os.environ.setdefault("SALESFORCE_CLIENT_SECRET", "default-test-secret")
os.environ.setdefault(
    "SALESFORCE_CALLBACK_URL", "http://testserver/orgs/oauth/callback/"
)

from config.settings import *  # noqa: F403
from config.settings import SALESFORCE_ALLOWED_HOSTS, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# The local Salesforce emulator answers on loopback.
SALESFORCE_ALLOWED_HOSTS = [*SALESFORCE_ALLOWED_HOSTS, "127.0.0.1", "localhost"]
