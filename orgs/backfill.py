"""Deciding the client ID of legacy orgs saved before Ferry stored one.

``offline_decision`` serves the data migration and must stay offline. The
rest serves ``manage.py backfill_oauth_client_ids``, which may also ask
Salesforce.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from orgs import oauth
from orgs.connected_apps import fingerprint, get_registry
from orgs.exceptions import ConnectionBroken, SalesforceError
from orgs.models import Organization, TokenEvent
from orgs.tokens import check_token, record_event, store_token

FROM_MAP = "named in the backfill map"
FROM_SOLE_APP = "the only configured connected app"


@dataclass(frozen=True)
class Decision:
    client_id: str
    reason: str


def offline_decision(org_id, mapping=None, registry=None) -> Decision | None:
    """Decide a legacy org's client ID without asking Salesforce.

    An explicit ``org_id=client_id`` pair wins. Otherwise, when exactly one
    connected app is configured, every org can only have come through it.
    Anything else stays undecided: guessing would break the org's refresh.
    """
    if mapping is None:
        mapping = settings.SALESFORCE_CLIENT_ID_BACKFILL
    if registry is None:
        registry = get_registry()

    client_id = _lookup(mapping, org_id)
    if client_id:
        return Decision(client_id, FROM_MAP)

    client_ids = registry.distinct_client_ids
    if len(client_ids) == 1:
        return Decision(client_ids[0], FROM_SOLE_APP)

    return None


def _lookup(mapping, org_id):
    # Operators may paste 15- or 18-character ids; both name the same org.
    for key, client_id in mapping.items():
        if key.strip()[:15] == org_id[:15]:
            return client_id.strip()
    return None


MAP = "map"
SOLE_APP = "sole app"
DEFAULT = "default"
PROBE = "probe"

ORG_ID_PATTERN = re.compile(r"^00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$")


class BackfillError(ValueError):
    """A mistake in what the operator asked for; nothing was changed."""


@dataclass
class Outcome:
    """What the backfill decided, or would decide, for one legacy org."""

    org: Organization
    client_id: str = ""
    method: str = ""
    detail: str = ""
    to_probe: bool = False

    @property
    def resolved(self) -> bool:
        return bool(self.client_id)


def legacy_orgs():
    no_client_id = Q(oauth_client_id__isnull=True) | Q(oauth_client_id="")
    return (
        Organization.objects.filter(no_client_id)
        .select_related("owner")
        .order_by("org_id", "pk")
    )


def parse_map(pairs, registry=None) -> dict[str, str]:
    """Turn ``ORG_ID=CLIENT_ID`` strings into a mapping, checking both sides."""
    registry = registry or get_registry()
    mapping = {}
    for pair in pairs:
        org_id, separator, client_id = (part.strip() for part in pair.partition("="))
        if not separator or not org_id or not client_id:
            raise BackfillError(f"--map {pair!r}: expected ORG_ID=CLIENT_ID.")
        if not ORG_ID_PATTERN.match(org_id):
            raise BackfillError(
                f"--map {org_id!r}: not a Salesforce org ID (15 or 18 letters and "
                "digits starting with 00D)."
            )
        if registry.by_client_id(client_id) is None:
            raise BackfillError(
                f"--map {org_id}: client ID {fingerprint(client_id)} is not one of "
                f"the configured connected apps ({_describe_apps(registry)})."
            )
        if mapping.get(org_id, client_id) != client_id:
            raise BackfillError(f"--map names {org_id} twice with different apps.")
        mapping[org_id] = client_id
    return mapping


def backfill_client_ids(
    mapping=None, *, use_default=False, probe=False, dry_run=False
) -> list[Outcome]:
    """Decide, and unless ``dry_run`` store, the client ID of every legacy org.

    Explicit pairs and the sole-app rule come first; ``use_default`` or
    ``probe`` settle the rest. A dry run never calls Salesforce. Raises
    ``BackfillError``, before changing anything, when the request is wrong.
    """
    registry = get_registry()
    mapping = mapping or {}
    if use_default and probe:
        raise BackfillError("Choose --default or --probe, not both.")
    if use_default and registry.default is None:
        raise BackfillError(
            "--default needs a default connected app (SALESFORCE_CLIENT_ID)."
        )
    _check_mapped_orgs_exist(mapping)

    outcomes = [
        _offline_outcome(org, mapping, registry, use_default, probe)
        for org in legacy_orgs()
    ]
    if dry_run:
        return outcomes

    # Offline decisions are all or nothing. Probes commit one org at a time,
    # because a successful probe has already spent a rotating refresh token.
    with transaction.atomic():
        for outcome in outcomes:
            if outcome.resolved:
                outcome.org.set_client_id(outcome.client_id)
    for outcome in outcomes:
        if outcome.to_probe:
            _probe(outcome, registry)
    return outcomes


def _check_mapped_orgs_exist(mapping):
    org_ids = Organization.objects.values_list("org_id", flat=True)
    known = {org_id[:15] for org_id in org_ids}
    for org_id in mapping:
        if org_id[:15] not in known:
            raise BackfillError(f"--map {org_id}: Ferry has no org with that ID.")


def _offline_outcome(org, mapping, registry, use_default, probe):
    decision = offline_decision(org.org_id, mapping, registry)
    if decision:
        method = MAP if decision.reason == FROM_MAP else SOLE_APP
        return Outcome(org, decision.client_id, method, decision.reason)
    if use_default:
        default = registry.default.client_id
        return Outcome(org, default, DEFAULT, "the default app, as --default asks")

    app_count = len(registry.distinct_client_ids)
    if not probe:
        return Outcome(
            org,
            detail=f"{app_count} connected apps are configured; name this org's "
            "app with --map, or use --default or --probe",
        )
    if not org.refresh_token:
        return Outcome(org, detail="no refresh token to probe with; reconnect it")
    return Outcome(
        org,
        method=PROBE,
        detail=f"would try up to {app_count} connected apps; a dry run does not "
        "call Salesforce",
        to_probe=True,
    )


def _probe(outcome, registry):
    """Find the app that accepts the org's refresh token and store the answer."""
    refused = []
    with transaction.atomic():
        # The row lock keeps a concurrent refresh from spending the refresh
        # token while the probe presents it.
        org = Organization.objects.select_for_update().get(pk=outcome.org.pk)
        outcome.org = org
        outcome.to_probe = False
        if org.oauth_client_id:
            outcome.client_id = org.oauth_client_id
            outcome.detail = "set meanwhile by another process"
            return

        for client_id in registry.distinct_client_ids:
            app = registry.by_client_id(client_id)
            try:
                token = oauth.request_refresh(app, org.token_url, org.refresh_token)
                check_token(org, token)
            except ConnectionBroken as error:
                # This app does not own the token, and nothing was spent.
                refused.append(f"{app.label}: {error.code or 'refused'}")
                continue
            except SalesforceError as error:
                # A timeout or an odd answer may have spent a rotating token,
                # so no other app is tried with it.
                outcome.detail = f"stopped at {app.label}: {error.user_message}"
                return

            # Salesforce accepted: store at once, a rotated token included.
            org.oauth_client_id = app.client_id
            store_token(org, token)
            record_event(org, TokenEvent.Kind.REFRESH, app.client_id)
            outcome.client_id = app.client_id
            outcome.detail = f"{app.label} accepted the refresh token"
            return

    outcome.detail = (
        f"no configured app accepted the refresh token ({'; '.join(refused)}); "
        "reconnect the org"
    )


def _describe_apps(registry):
    return ", ".join(f"{app.label} {app.fingerprint}" for app in registry) or "none"
