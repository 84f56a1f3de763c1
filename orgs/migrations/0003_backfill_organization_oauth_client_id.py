"""Fill oauth_client_id on orgs saved before Ferry recorded it.

Deterministic and offline: it reads SALESFORCE_CLIENT_ID_BACKFILL and the
configured connected apps, never Salesforce. Orgs it cannot decide stay empty
for `manage.py backfill_oauth_client_ids` (which can also probe Salesforce).
"""

from django.db import migrations
from django.db.models import Q


def _legacy_rows(Organization):
    return Organization.objects.filter(
        Q(oauth_client_id__isnull=True) | Q(oauth_client_id="")
    )


def backfill_oauth_client_ids(apps, schema_editor):
    from orgs.backfill import offline_decision

    Organization = apps.get_model("orgs", "Organization")
    for org in _legacy_rows(Organization).order_by("pk").only("pk", "org_id"):
        decision = offline_decision(org.org_id)
        if decision:
            Organization.objects.filter(pk=org.pk).update(
                oauth_client_id=decision.client_id
            )


def clear_backfilled_oauth_client_ids(apps, schema_editor):
    from orgs.backfill import offline_decision

    # Clears exactly what the forward step would fill under the same
    # settings, so forward, backward and forward again agree.
    Organization = apps.get_model("orgs", "Organization")
    for org in Organization.objects.exclude(oauth_client_id=None).order_by("pk"):
        decision = offline_decision(org.org_id)
        if decision and decision.client_id == org.oauth_client_id:
            Organization.objects.filter(pk=org.pk).update(oauth_client_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_add_organization_oauth_client_id"),
    ]

    operations = [
        migrations.RunPython(
            backfill_oauth_client_ids, clear_backfilled_oauth_client_ids
        ),
    ]
