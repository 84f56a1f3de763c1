from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from orgs import oauth
from orgs.connected_apps import get_registry
from orgs.models import Organization

COLORS = [
    ("#0b6bcb", "Blue"),
    ("#1f7a3d", "Green"),
    ("#a15c00", "Amber"),
    ("#b3261e", "Red"),
    ("#6b3fa0", "Purple"),
    ("#4a5562", "Slate"),
]
ICONS = [
    ("☁️", "☁️ Cloud"),
    ("🏭", "🏭 Factory"),
    ("🧪", "🧪 Flask"),
    ("🚀", "🚀 Rocket"),
    ("🛡️", "🛡️ Shield"),
    ("📦", "📦 Box"),
]


class ConnectOrgForm(forms.Form):
    app = forms.ChoiceField(
        label="Connected app",
        help_text="The app to authorize through. Ferry remembers it and refreshes "
        "this org's tokens with the same app.",
    )
    org_type = forms.ChoiceField(
        label="Org type",
        choices=Organization.OrgType.choices,
        initial=Organization.OrgType.PRODUCTION,
        help_text="Sandboxes and scratch orgs sign in at the sandbox login host.",
    )
    my_domain = forms.URLField(
        label="My Domain URL",
        required=False,
        assume_scheme="https",
        help_text="Optional, e.g. https://acme.my.salesforce.com. Use it when your "
        "org blocks sign-in through the generic login hosts.",
    )
    color = forms.ChoiceField(choices=COLORS, initial=COLORS[0][0])
    icon = forms.ChoiceField(choices=ICONS, initial=ICONS[0][0])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        registry = get_registry()
        self.fields["app"].choices = registry.choices()
        if registry.default:
            self.fields["app"].initial = registry.default.key

    def clean_app(self):
        app = get_registry().by_key(self.cleaned_data["app"])
        if app is None:
            raise forms.ValidationError("That connected app is not configured.")
        return app

    def clean_my_domain(self):
        url = self.cleaned_data["my_domain"]
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise forms.ValidationError(
                "Enter the My Domain address only, without a user name or password."
            )
        origin = f"{parts.scheme}://{parts.netloc}"
        if not oauth.is_allowed_host(origin):
            raise forms.ValidationError(
                "This is not a Salesforce host Ferry may sign in at "
                "(expected something like https://acme.my.salesforce.com)."
            )
        return origin

    def login_url(self) -> str:
        if self.cleaned_data["my_domain"]:
            return self.cleaned_data["my_domain"]
        sandbox_types = (Organization.OrgType.SANDBOX, Organization.OrgType.SCRATCH)
        if self.cleaned_data["org_type"] in sandbox_types:
            return settings.SALESFORCE_SANDBOX_LOGIN_URL
        return settings.SALESFORCE_LOGIN_URL
