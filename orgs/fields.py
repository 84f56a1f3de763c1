from django.db import models

from orgs import crypto


class EncryptedTextField(models.TextField):
    """A text column stored as Fernet ciphertext; Python code sees plaintext.

    An empty string stays empty so "no token" needs no decryption.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)
