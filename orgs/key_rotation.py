"""Re-encrypt every stored token with the newest TOKEN_ENCRYPTION_KEYS key."""

from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import models, transaction

from orgs import crypto
from orgs.fields import EncryptedTextField


@dataclass(frozen=True)
class ColumnCount:
    label: str
    reencrypted: int
    empty: int


def encrypted_columns():
    """Yield (model, field) for every EncryptedTextField of every model."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def reencrypt_stored_tokens(dry_run=False) -> list[ColumnCount]:
    """Rotate each encrypted column to the newest key, all in one transaction.

    A value no configured key can decrypt raises ``TokenDecryptionError`` and
    nothing is written. A dry run decrypts everything but writes nothing.
    """
    counts = []
    with transaction.atomic():
        for model, field in encrypted_columns():
            counts.append(_reencrypt_column(model, field, dry_run))
    return counts


def _reencrypt_column(model, field, dry_run):
    # Read and write the ciphertext as plain text: through the field itself
    # it would be decrypted on the way out and encrypted again on the way in.
    raw = models.ExpressionWrapper(models.F(field.attname), models.TextField())
    rows = (
        model._default_manager.select_for_update()
        .annotate(ciphertext=raw)
        .values_list("pk", "ciphertext")
        .order_by("pk")
    )

    reencrypted = empty = 0
    for pk, ciphertext in rows:
        if not ciphertext:
            empty += 1
            continue
        try:
            rotated = crypto.reencrypt(ciphertext)
        except InvalidToken as error:
            raise crypto.TokenDecryptionError(
                f"{model._meta.label} {pk}: {field.name} cannot be decrypted with "
                "any key in TOKEN_ENCRYPTION_KEYS; nothing was re-encrypted."
            ) from error
        if not dry_run:
            stored = models.Value(rotated, output_field=models.TextField())
            model._default_manager.filter(pk=pk).update(**{field.attname: stored})
        reencrypted += 1

    label = f"{model._meta.label}.{field.name}"
    return ColumnCount(label, reencrypted, empty)
