from django import forms
from django.http import QueryDict

from orgs.models import Organization
from sync.compare import Status
from sync.component_types import CHOICES as TYPE_CHOICES


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, org):
        return f"{org.name} ({org.get_org_type_display()}, {org.org_id})"


class ChooseOrgsForm(forms.Form):
    """Step 2: a source and a target among the user's refreshed orgs."""

    source = OrgChoiceField(
        queryset=Organization.objects.none(), empty_label="Choose an org"
    )
    target = OrgChoiceField(
        queryset=Organization.objects.none(), empty_label="Choose an org"
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refreshed = Organization.objects.for_user(user).filter(
            last_synced_at__isnull=False
        )
        self.fields["source"].queryset = refreshed
        self.fields["target"].queryset = refreshed
        if not self.is_bound:
            self._suggest_direction(refreshed)

    def _suggest_direction(self, refreshed):
        """Preselect the usual direction, a sandbox into production.

        Each side is preselected only when it has a single candidate and the
        other kind of org exists; otherwise the user picks.
        """
        production = Organization.OrgType.PRODUCTION
        org_types = list(refreshed.values_list("pk", "org_type"))
        targets = [pk for pk, org_type in org_types if org_type == production]
        sources = [pk for pk, org_type in org_types if org_type != production]
        if len(sources) == 1 and targets:
            self.initial.setdefault("source", sources[0])
        if len(targets) == 1 and sources:
            self.initial.setdefault("target", targets[0])

    def clean(self):
        cleaned = super().clean()
        source, target = cleaned.get("source"), cleaned.get("target")
        if source and target and source == target:
            raise forms.ValidationError("Choose two different orgs.")
        return cleaned


class CompareFilterForm(forms.Form):
    """Step 3's filters; an invalid one is not applied, the others still are."""

    type = forms.ChoiceField(choices=[("", "All types"), *TYPE_CHOICES], required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Status.CHOICES], required=False
    )
    q = forms.CharField(label="Search", max_length=100, required=False)
    page = forms.IntegerField(min_value=1, required=False)

    def filters(self) -> dict:
        """Return the valid filters as keyword arguments of compare.filtered."""
        data = self._valid_data()
        return {
            "component_type": data.get("type", ""),
            "status": data.get("status", ""),
            "search": data.get("q", ""),
        }

    def query(self) -> QueryDict:
        """Return the valid filters and page, ready for a query string."""
        data = self._valid_data()
        query = QueryDict(mutable=True)
        for name in ("type", "status", "q", "page"):
            if data.get(name):
                query[name] = data[name]
        return query

    def _valid_data(self) -> dict:
        # After validation cleaned_data holds exactly the fields that passed.
        self.is_valid()
        return self.cleaned_data


class IdListField(forms.Field):
    """Component ids posted as a repeated field; the plan checks them."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError) as error:
            raise forms.ValidationError("Not a list of component ids.") from error


class SelectionForm(forms.Form):
    """A change to a plan's selection, posted from the compare page."""

    action = forms.ChoiceField(
        choices=[
            ("save-page", "Save the selection on this page"),
            ("select-all", "Select all matching"),
            ("clear", "Clear the selection"),
        ]
    )
    selected = IdListField(required=False)
    on_page = IdListField(required=False)
