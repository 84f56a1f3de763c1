from django.core.management.base import BaseCommand, CommandError

from orgs.backfill import BackfillError, backfill_client_ids, parse_map
from orgs.connected_apps import fingerprint


class Command(BaseCommand):
    help = (
        "Record the connected app (OAuth client ID) of orgs saved before Ferry "
        "stored one. Salesforce refreshes a token only with the client ID that "
        "issued it, so these orgs cannot be refreshed reliably until it is known. "
        "Rows that already have a client ID are never touched, so running the "
        "command again is safe. Decisions, in order: --map pairs; the only "
        "configured app when there is just one; then --default or --probe for "
        "the rest. Prints one line per org (org ID, name, owner, shortened client "
        "ID, how it was decided) and exits with status 1 when any org is left "
        "unresolved, in a dry run too (there, orgs --probe would try count as "
        "pending, not unresolved). Decisions made without Salesforce are "
        "saved together in one transaction; each probed org is saved as soon as "
        "Salesforce accepts its token."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="ORG_ID=CLIENT_ID",
            help="Use CLIENT_ID for the org ORG_ID (15 or 18 characters). "
            "Repeatable. The client ID must be a configured connected app.",
        )
        modes = parser.add_mutually_exclusive_group()
        modes.add_argument(
            "--default",
            action="store_true",
            help="Give every org still undecided the default app "
            "(SALESFORCE_CLIENT_ID). Only right if they were all authorized "
            "through it.",
        )
        modes.add_argument(
            "--probe",
            action="store_true",
            help="For each org still undecided, present its refresh token to "
            "Salesforce with each configured app's client ID in turn and keep "
            "the first one Salesforce accepts. That refresh really happens: the "
            "new access token (and a rotated refresh token) is stored at once.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Decide and print, but change nothing. With --probe, no call "
            "is made to Salesforce, so probed orgs are reported as to be probed.",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        dry_run = options["dry_run"]
        try:
            mapping = parse_map(options["map"])
            outcomes = backfill_client_ids(
                mapping,
                use_default=options["default"],
                probe=options["probe"],
                dry_run=dry_run,
            )
        except BackfillError as error:
            raise CommandError(str(error)) from error

        if not outcomes:
            self._say("Nothing to do: every org has a client ID.")
            return
        for outcome in outcomes:
            self._say(
                _line(outcome), self.style.ERROR if _unresolved(outcome) else None
            )

        unresolved = sum(_unresolved(outcome) for outcome in outcomes)
        to_probe = sum(outcome.to_probe for outcome in outcomes)
        resolved = len(outcomes) - unresolved - to_probe
        verb = "would be" if dry_run else "were"
        summary = f"{resolved} of {len(outcomes)} orgs {verb} given a client ID"
        if to_probe:
            summary += f"; {to_probe} would be probed"
        self._say(f"{summary}. Dry run: nothing was changed." if dry_run else summary)
        if unresolved:
            raise CommandError(
                f"{unresolved} org(s) left without a client ID; see the lines above."
            )

    def _say(self, message, style=None):
        if self.verbosity >= 1:
            self.stdout.write(style(message) if style else message)


def _unresolved(outcome):
    return not outcome.resolved and not outcome.to_probe


def _line(outcome):
    org = outcome.org
    where = f"{org.org_id} {org.name} ({org.owner.get_username()})"
    if outcome.resolved:
        how = f"{outcome.method}: {outcome.detail}"
        return f"{where}: {fingerprint(outcome.client_id)} by {how}"
    if outcome.to_probe:
        return f"{where}: to probe ({outcome.detail})"
    return f"{where}: unresolved: {outcome.detail}"
