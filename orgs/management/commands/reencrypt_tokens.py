from django.core.management.base import BaseCommand, CommandError

from orgs.crypto import TokenDecryptionError
from orgs.key_rotation import reencrypt_stored_tokens


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored token (org access and refresh tokens, PKCE "
        "verifiers of pending sign-ins) with the first, newest key in "
        "TOKEN_ENCRYPTION_KEYS. To rotate keys: put the new key first and keep "
        "the old ones after it, deploy, run this command, then remove the old "
        "keys. Runs in one transaction: if any value cannot be decrypted, "
        "nothing is changed and the command exits with status 1. Prints counts "
        "per column, never a token."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check that every token decrypts and report the counts, but "
            "write nothing.",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        try:
            counts = reencrypt_stored_tokens(dry_run=dry_run)
        except TokenDecryptionError as error:
            raise CommandError(str(error)) from error

        if options["verbosity"] < 1:
            return
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        for count in counts:
            self.stdout.write(
                f"{count.label}: {count.reencrypted} {verb}, {count.empty} empty"
            )
        total = sum(count.reencrypted for count in counts)
        summary = f"{total} value(s) {verb} with the newest key."
        if dry_run:
            summary += " Dry run: nothing was changed."
        self.stdout.write(self.style.SUCCESS(summary))
