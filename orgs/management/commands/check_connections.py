from django.core.management.base import BaseCommand, CommandError

from orgs.models import Organization


class Command(BaseCommand):
    help = (
        "List the orgs that need attention, with the reason for each: marked as "
        "needing a reconnect, no client ID stored, or their latest token event "
        "(refresh, connect or connection test) failed. Exits with status 1 when "
        "any org needs attention and 0 when none does, so cron or a monitor can "
        "alert on it. With --verbosity 0 only the status and a one-line summary on "
        "stderr remain."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        orgs = (
            Organization.objects.needing_attention()
            .select_related("owner")
            .order_by("org_id", "pk")
        )

        count = 0
        for org in orgs:
            count += 1
            if verbosity >= 1:
                owner = org.owner.get_username()
                reasons = "; ".join(org.attention_reasons())
                self.stdout.write(f"{org.org_id} {org.name} ({owner}): {reasons}")

        if count:
            raise CommandError(f"{count} org(s) need attention.")
        if verbosity >= 1:
            total = Organization.objects.count()
            self.stdout.write(f"All {total} orgs are connected.")
