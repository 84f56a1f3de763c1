from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from orgs import connect
from orgs.connected_apps import get_registry
from orgs.forms import ConnectOrgForm
from orgs.models import Organization

RECENT_EVENTS = 20


def _get_org_for_user(user, org_id):
    return get_object_or_404(Organization.objects.for_user(user), org_id=org_id)


@require_GET
def org_list(request):
    orgs = Organization.objects.for_user(request.user)
    return render(request, "orgs/org_list.html", {"orgs": orgs})


@require_GET
def org_detail(request, org_id):
    org = _get_org_for_user(request.user, org_id)
    events = org.token_events.all()[:RECENT_EVENTS]
    return render(request, "orgs/org_detail.html", {"org": org, "events": events})


@require_http_methods(["GET", "POST"])
def connect_org(request):
    return _connect_form(request, ConnectOrgForm(request.POST or None), org=None)


@require_http_methods(["GET", "POST"])
def reconnect_org(request, org_id):
    org = _get_org_for_user(request.user, org_id)
    app = org.connected_app or get_registry().default
    initial = {
        "org_type": org.org_type,
        "color": org.color,
        "icon": org.icon,
        "my_domain": "" if _is_generic_login(org.login_url) else org.login_url,
    }
    if app:
        initial["app"] = app.key
    form = ConnectOrgForm(request.POST or None, initial=initial)
    return _connect_form(request, form, org=org)


def _connect_form(request, form, org):
    if request.method == "POST" and form.is_valid():
        url = connect.start(
            request,
            app=form.cleaned_data["app"],
            login_url=form.login_url(),
            org_type=form.cleaned_data["org_type"],
            color=form.cleaned_data["color"],
            icon=form.cleaned_data["icon"],
            reconnecting=org,
        )
        return redirect(url)

    context = {"form": form, "org": org, "apps": get_registry()}
    return render(request, "orgs/org_connect.html", context)


@require_GET
def oauth_callback(request):
    try:
        org = connect.complete(request, request.GET)
    except connect.CallbackError as error:
        context = {"message": error.user_message}
        return render(request, "orgs/connect_failed.html", context, status=400)

    messages.success(request, f"Connected {org.name}.")
    return redirect(org)


def _is_generic_login(url):
    return url in (settings.SALESFORCE_LOGIN_URL, settings.SALESFORCE_SANDBOX_LOGIN_URL)
