from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from orgs.connected_apps import fingerprint, get_registry
from orgs.fields import EncryptedTextField

org_id_validator = RegexValidator(
    r"^00D[a-zA-Z0-9]{15}$",
    "A Salesforce org ID has 18 characters and starts with 00D.",
)

OAUTH_CLIENT_ID_HELP = (
    "The consumer key (client ID) of the connected app this org was authorized "
    "through. Salesforce only refreshes a token with the client ID that issued it, "
    "so this is required for refresh; change it only to the app the org was "
    "really authorized with."
)


class OrganizationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(owner=user)

    def with_last_token_event(self):
        """Annotate the outcome, kind and error code of each org's latest event."""
        latest = TokenEvent.objects.filter(organization=models.OuterRef("pk")).order_by(
            "-created_at", "-pk"
        )
        return self.annotate(
            last_event_outcome=models.Subquery(latest.values("outcome")[:1]),
            last_event_kind=models.Subquery(latest.values("kind")[:1]),
            last_event_error_code=models.Subquery(latest.values("error_code")[:1]),
        )

    def needing_attention(self):
        return self.with_last_token_event().filter(
            models.Q(status=Organization.Status.NEEDS_RECONNECT)
            | models.Q(oauth_client_id__isnull=True)
            | models.Q(oauth_client_id="")
            | models.Q(last_event_outcome=TokenEvent.Outcome.FAILURE)
        )


class Organization(models.Model):
    class OrgType(models.TextChoices):
        PRODUCTION = "production", "Production"
        SANDBOX = "sandbox", "Sandbox"
        DEVELOPER = "developer", "Developer Edition"
        SCRATCH = "scratch", "Scratch org"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organizations"
    )
    org_id = models.CharField(
        "org ID", max_length=18, validators=[org_id_validator], db_index=True
    )
    name = models.CharField(max_length=255)
    org_type = models.CharField(
        "type", max_length=20, choices=OrgType.choices, default=OrgType.PRODUCTION
    )
    instance_url = models.URLField(max_length=255)
    login_url = models.URLField(
        max_length=255,
        help_text="Where the org was authorized: login, test or a My Domain host. "
        "Token refreshes go there too.",
    )
    color = models.CharField(max_length=7, default="#0b6bcb")
    icon = models.CharField(max_length=16, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)
    token_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Salesforce does not say when an access token expires; empty means "
        "unknown, and Ferry refreshes when Salesforce answers INVALID_SESSION_ID.",
    )
    # NULL marks a legacy row saved before Ferry recorded the client ID, which
    # the backfill migration and command look for.
    oauth_client_id = models.CharField(  # noqa: DJ001
        "OAuth client ID",
        max_length=255,
        null=True,
        blank=True,
        db_index=True,
        help_text=OAUTH_CLIENT_ID_HELP,
    )
    api_version = models.CharField("API version", max_length=8, default="")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.CONNECTED
    )
    last_error = models.TextField(blank=True)
    last_connected_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "org_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "org_id"], name="orgs_unique_org_per_owner"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.org_id})"

    def get_absolute_url(self):
        return reverse("orgs:detail", kwargs={"org_id": self.org_id})

    @property
    def needs_reconnect(self) -> bool:
        return self.status == self.Status.NEEDS_RECONNECT

    @property
    def connected_app(self):
        if not self.oauth_client_id:
            return None
        return get_registry().by_client_id(self.oauth_client_id)

    @property
    def client_id_fingerprint(self) -> str:
        return fingerprint(self.oauth_client_id) if self.oauth_client_id else ""

    @property
    def instance_host(self) -> str:
        return urlsplit(self.instance_url).netloc

    @property
    def token_url(self) -> str:
        return f"{self.login_url.rstrip('/')}/services/oauth2/token"

    def mark_needs_reconnect(self, message: str):
        self.status = self.Status.NEEDS_RECONNECT
        self.last_error = message
        self.save(update_fields=["status", "last_error", "updated_at"])

    def mark_connected(self):
        self.status = self.Status.CONNECTED
        self.last_error = ""

    def set_client_id(self, client_id: str):
        """Record the app this org was authorized through and let refreshes retry.

        A terminal refresh error stops refreshes until the org is reconnected
        or its client ID changes; this is the second way out.
        """
        self.oauth_client_id = client_id
        self.mark_connected()
        self.save(
            update_fields=["oauth_client_id", "status", "last_error", "updated_at"]
        )

    def attention_reasons(self) -> list[str]:
        """Say why the org needs attention; empty when it needs none.

        Reads the annotations of ``with_last_token_event()`` when present.
        """
        if hasattr(self, "last_event_outcome"):
            outcome = self.last_event_outcome
            kind, code = self.last_event_kind, self.last_event_error_code
        else:
            last = self.token_events.first()
            outcome = last.outcome if last else None
            kind, code = (last.kind, last.error_code) if last else (None, "")

        reasons = []
        if self.needs_reconnect:
            reasons.append(
                f"needs reconnect: {self.last_error or 'no reason recorded'}"
            )
        if not self.oauth_client_id:
            reasons.append(
                "no client ID stored (set it in the admin or run "
                "manage.py backfill_oauth_client_ids)"
            )
        if outcome == TokenEvent.Outcome.FAILURE:
            label = TokenEvent.Kind(kind).label.lower()
            reasons.append(f"last token event failed ({label}: {code or 'no code'})")
        return reasons


class TokenEvent(models.Model):
    """One attempt to obtain or refresh an org's access token."""

    class Kind(models.TextChoices):
        CONNECT = "connect", "Connect"
        REFRESH = "refresh", "Refresh"
        TEST = "test", "Connection test"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"

    class ClientIdSource(models.TextChoices):
        STORED = "stored", "Org's stored client ID"
        FALLBACK = "fallback", "Default app (no client ID stored)"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="token_events"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    client_id = models.CharField(max_length=255, blank=True)
    client_id_source = models.CharField(
        max_length=10, choices=ClientIdSource.choices, default=ClientIdSource.STORED
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_outcome_display()}"

    @property
    def client_id_fingerprint(self) -> str:
        return fingerprint(self.client_id) if self.client_id else ""


class AuthorizationAttempt(models.Model):
    """One trip to Salesforce's authorize page, waiting for its callback.

    The state parameter finds the attempt again; the PKCE verifier belongs to
    this attempt alone, so two tabs connecting at once do not collide.
    """

    LIFETIME_SECONDS = 600

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64)
    state = models.CharField(max_length=64, unique=True)
    code_verifier = EncryptedTextField()
    client_id = models.CharField(max_length=255)
    login_url = models.URLField(max_length=255)
    redirect_uri = models.URLField(max_length=255)
    org_type = models.CharField(max_length=20, choices=Organization.OrgType.choices)
    # Set when reconnecting: the org the user means to sign in to again.
    expected_org_id = models.CharField(max_length=18, blank=True)
    color = models.CharField(max_length=7, blank=True)
    icon = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Authorization attempt {self.pk}"

    @property
    def is_expired(self) -> bool:
        age = timezone.now() - self.created_at
        return age.total_seconds() > self.LIFETIME_SECONDS
