"""Encryption of Salesforce tokens at rest, with key rotation."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class TokenDecryptionError(Exception):
    """A stored token cannot be decrypted with any configured key."""


@cache
def _fernet():
    try:
        keys = [Fernet(key) for key in settings.TOKEN_ENCRYPTION_KEYS]
    except ValueError as error:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from error
    return MultiFernet(keys)


@receiver(setting_changed)
def _forget_keys(setting, **kwargs):
    if setting == "TOKEN_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise TokenDecryptionError(
            "A stored token could not be decrypted with any key in "
            "TOKEN_ENCRYPTION_KEYS; was a retired key removed too early?"
        ) from error


def reencrypt(ciphertext: str) -> str:
    """Return the ciphertext encrypted with the newest key."""
    return _fernet().rotate(ciphertext.encode()).decode()
