from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from orgs import oauth
from orgs.connected_apps import fingerprint, get_registry
from orgs.diagnostics import verify_connection
from orgs.exceptions import SalesforceError
from orgs.models import Organization, TokenEvent
from orgs.tokens import refresh_access_token

RECENT_EVENTS_ON_ORG = 20

BADGE_COLORS = {
    Organization.Status.CONNECTED: "#1b7f3b",
    Organization.Status.NEEDS_RECONNECT: "#b42318",
    TokenEvent.Outcome.SUCCESS: "#1b7f3b",
    TokenEvent.Outcome.FAILURE: "#b42318",
}


def _badge(value, label):
    return format_html(
        '<span style="color:#fff;background:{};padding:1px 8px;'
        'border-radius:8px;white-space:nowrap">{}</span>',
        BADGE_COLORS.get(value, "#667085"),
        label,
    )


def _client_id_label(client_id):
    if not client_id:
        return format_html('<span style="color:#b54708">{}</span>', "none stored")
    app = get_registry().by_client_id(client_id)
    label = app.label if app else "not a configured app"
    return format_html("{} <code>{}</code>", label, fingerprint(client_id))


def client_id_choices(current=None):
    """Offer every configured app, and the org's current value if it is not one."""
    registry = get_registry()
    choices = [
        (client_id, str(registry.by_client_id(client_id)))
        for client_id in registry.distinct_client_ids
    ]
    if current and registry.by_client_id(current) is None:
        label = f"Keep current, not a configured app ({fingerprint(current)})"
        choices.append((current, label))
    return [("", "Choose the app this org was authorized through"), *choices]


class SecretInput(forms.PasswordInput):
    def __init__(self):
        super().__init__(render_value=False, attrs={"autocomplete": "off"})


class OrganizationAdminForm(forms.ModelForm):
    oauth_client_id = forms.ChoiceField(
        label="OAuth client ID",
        help_text="The connected app this org was authorized through. Salesforce "
        "refreshes its token only with that app's client ID. Changing it lets "
        "refreshes run again after a client ID error.",
    )
    # Declared for https as the assumed scheme (Django 6's default).
    login_url = forms.URLField(
        max_length=255,
        assume_scheme="https",
        help_text=Organization._meta.get_field("login_url").help_text,
    )
    instance_url = forms.URLField(max_length=255, assume_scheme="https")
    access_token = forms.CharField(
        required=False,
        strip=True,
        widget=SecretInput(),
        help_text="Never shown. Leave empty to keep the stored token.",
    )
    refresh_token = forms.CharField(
        required=False,
        strip=True,
        widget=SecretInput(),
        help_text="Never shown. Leave empty to keep the stored token; a new one "
        "also clears “needs reconnect”.",
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "org_type",
            "color",
            "icon",
            "oauth_client_id",
            "login_url",
            "instance_url",
            "api_version",
            "access_token",
            "refresh_token",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored tokens never reach the page, not even as initial data.
        self.initial.pop("access_token", None)
        self.initial.pop("refresh_token", None)
        current = self.instance.oauth_client_id
        self.fields["oauth_client_id"].choices = client_id_choices(current)

    def clean_oauth_client_id(self):
        client_id = self.cleaned_data["oauth_client_id"]
        configured = get_registry().by_client_id(client_id) is not None
        unchanged = client_id == self.instance.oauth_client_id
        if not configured and not unchanged:
            raise forms.ValidationError("Choose one of the configured apps.")
        return client_id

    def clean_login_url(self):
        return _salesforce_url(self.cleaned_data["login_url"])

    def clean_instance_url(self):
        return _salesforce_url(self.cleaned_data["instance_url"])

    def clean_access_token(self):
        return self.cleaned_data["access_token"] or self.instance.access_token

    def clean_refresh_token(self):
        return self.cleaned_data["refresh_token"] or self.instance.refresh_token


def _salesforce_url(url):
    # Ferry sends the org's tokens (and the app's secret) to these hosts.
    if not oauth.is_allowed_host(url):
        raise forms.ValidationError(
            "Use a Salesforce host listed in SALESFORCE_ALLOWED_HOSTS."
        )
    return url.rstrip("/")


class HasClientIdFilter(admin.SimpleListFilter):
    title = "client ID"
    parameter_name = "has_client_id"

    def lookups(self, request, model_admin):
        return [("yes", "Stored"), ("no", "None stored (legacy)")]

    def queryset(self, request, queryset):
        missing = Q(oauth_client_id__isnull=True) | Q(oauth_client_id="")
        if self.value() == "yes":
            return queryset.exclude(missing)
        if self.value() == "no":
            return queryset.filter(missing)
        return queryset


class ReadOnlyTokenEvents:
    """What the inline on an org and the token event list share: the columns,
    and that events are a record nobody edits."""

    fields = [
        "created_at",
        "kind",
        "client_id_display",
        "client_id_source",
        "outcome_badge",
        "error_code",
        "message",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="client ID", ordering="client_id")
    def client_id_display(self, event):
        return _client_id_label(event.client_id)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, event):
        return _badge(event.outcome, event.get_outcome_display())


class TokenEventInline(ReadOnlyTokenEvents, admin.TabularInline):
    model = TokenEvent
    verbose_name_plural = f"Token events (latest {RECENT_EVENTS_ON_ORG})"
    extra = 0
    can_delete = False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = [
        "name",
        "org_id",
        "owner",
        "org_type",
        "client_id_display",
        "status_badge",
        "last_synced_at",
    ]
    list_select_related = ["owner"]
    list_filter = ["org_type", "status", HasClientIdFilter]
    search_fields = ["name", "org_id", "owner__username", "oauth_client_id"]
    readonly_fields = [
        "owner",
        "org_id",
        "status_badge",
        "last_error",
        "token_issued_at",
        "token_expires_at",
        "last_connected_at",
        "last_synced_at",
        "created_at",
        "updated_at",
        "all_token_events",
    ]
    fieldsets = [
        (None, {"fields": ["owner", "org_id", "name", "org_type", "color", "icon"]}),
        (
            "Connection",
            {
                "fields": [
                    "oauth_client_id",
                    "status_badge",
                    "last_error",
                    "login_url",
                    "instance_url",
                    "api_version",
                    "last_connected_at",
                    "last_synced_at",
                    "all_token_events",
                ]
            },
        ),
        (
            "Tokens (write-only)",
            {
                "fields": [
                    "access_token",
                    "refresh_token",
                    "token_issued_at",
                    "token_expires_at",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [TokenEventInline]
    actions = ["refresh_tokens", "test_connections", "mark_needing_reconnect"]

    def has_add_permission(self, request):
        # An org is created by connecting it, which also records its tokens.
        return False

    @admin.display(description="client ID", ordering="oauth_client_id")
    def client_id_display(self, org):
        return _client_id_label(org.oauth_client_id)

    @admin.display(description="connection", ordering="status")
    def status_badge(self, org):
        return _badge(org.status, org.get_status_display())

    @admin.display(description="token events")
    def all_token_events(self, org):
        url = reverse("admin:orgs_tokenevent_changelist")
        count = org.token_events.count()
        return format_html(
            '<a href="{}?organization__id__exact={}">All {} token events</a>',
            url,
            org.pk,
            count,
        )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, TokenEventInline) and obj is not None:
            recent = obj.token_events.values_list("pk", flat=True)
            recent_pks = list(recent[:RECENT_EVENTS_ON_ORG])
            kwargs["queryset"] = kwargs["queryset"].filter(pk__in=recent_pks)
        return kwargs

    def save_model(self, request, obj, form, change):
        if "refresh_token" in form.changed_data:
            obj.mark_connected()
        super().save_model(request, obj, form, change)
        if "oauth_client_id" in form.changed_data:
            obj.set_client_id(form.cleaned_data["oauth_client_id"])

    def _report_each(self, request, queryset, act):
        """Run ``act(org)`` per org: its sentence on success, else the error."""
        for org in queryset:
            try:
                done = act(org)
            except SalesforceError as error:
                self.message_user(
                    request, f"{org}: {error.user_message}", messages.ERROR
                )
            else:
                self.message_user(request, f"{org}: {done}", messages.SUCCESS)

    @admin.action(description="Refresh token now")
    def refresh_tokens(self, request, queryset):
        self._report_each(request, queryset, _refresh)

    @admin.action(description="Test connection (identity call)")
    def test_connections(self, request, queryset):
        self._report_each(request, queryset, _test)

    @admin.action(description="Mark as needing reconnect")
    def mark_needing_reconnect(self, request, queryset):
        reason = (
            f"Marked as needing a reconnect by {request.user.get_username()} in the "
            "admin. Reconnect the org to use it again."
        )
        for org in queryset:
            if org.needs_reconnect:
                self.message_user(request, f"{org}: already needed a reconnect.")
                continue
            org.mark_needs_reconnect(reason)
            self.message_user(
                request, f"{org}: marked as needing a reconnect.", messages.WARNING
            )


def _refresh(org):
    refresh = refresh_access_token(org)
    app = get_registry().by_client_id(refresh.client_id)
    how = "reused a token just obtained" if refresh.reused else "refreshed"
    return f"token {how}{f' via {app}' if app else ''}."


def _test(org):
    identity = verify_connection(org)
    user = identity.get("preferred_username") or identity.get("user_id", "")
    return f"connected as {user}."


@admin.register(TokenEvent)
class TokenEventAdmin(ReadOnlyTokenEvents, admin.ModelAdmin):
    list_display = [
        "created_at",
        "organization",
        "kind",
        "client_id_display",
        "client_id_source",
        "outcome_badge",
        "error_code",
    ]
    list_select_related = ["organization"]
    list_filter = ["kind", "outcome", "client_id_source"]
    search_fields = [
        "organization__name",
        "organization__org_id",
        "client_id",
        "error_code",
    ]
    date_hierarchy = "created_at"
    fields = ["organization", *ReadOnlyTokenEvents.fields]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False


# AuthorizationAttempt is deliberately not registered: it holds PKCE
# verifiers, and a pending sign-in has nothing an operator needs to edit.
