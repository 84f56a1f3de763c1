from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from orgs.models import Organization
from sync import compare
from sync.cards import org_cards
from sync.forms import ChooseOrgsForm, CompareFilterForm, SelectionForm
from sync.models import MigrationPlan, SyncRun
from sync.tasks import start_refresh

COMPARE_PAGE_SIZE = 50


def _get_org_for_user(user, org_id):
    return get_object_or_404(Organization.objects.for_user(user), org_id=org_id)


def _get_run_for_user(user, run_id):
    runs = SyncRun.objects.for_user(user).select_related("org")
    return get_object_or_404(runs, pk=run_id)


def _get_plan_for_user(user, plan_id):
    plans = MigrationPlan.objects.for_user(user).select_related(
        "source_org", "target_org"
    )
    return get_object_or_404(plans, pk=plan_id)


def _card_url(org):
    return f"{reverse('sync:wizard')}#org-{org.pk}"


def _render_card(request, org):
    (card,) = org_cards(Organization.objects.filter(pk=org.pk))
    return render(request, "sync/_org_card.html", {"card": card})


@require_GET
def wizard(request):
    cards = org_cards(Organization.objects.for_user(request.user))
    refreshed = sum(1 for card in cards if card.refreshed)
    context = {"cards": cards, "can_compare": refreshed >= 2}
    return render(request, "sync/wizard_orgs.html", context)


@require_POST
def start_sync(request, org_id):
    org = _get_org_for_user(request.user, org_id)
    run, created = start_refresh(org, request.user)
    if request.htmx:
        return _render_card(request, org)
    if not created:
        messages.info(request, f"A refresh of {org.name} is already running.")
    return redirect(_card_url(run.org))


@require_GET
@vary_on_headers("HX-Request")
def run_status(request, run_id):
    run = _get_run_for_user(request.user, run_id)
    if not request.htmx:
        return redirect(_card_url(run.org))
    run.fail_if_stale()
    if run.is_active:
        return render(request, "sync/_run_progress.html", {"run": run})
    # Finished: the whole card changes (counts, last refresh), not just the bar.
    response = _render_card(request, run.org)
    response = retarget(response, f"#org-{run.org.pk}")
    response = trigger_client_event(response, "runFinished")
    return reswap(response, "outerHTML")


@require_http_methods(["GET", "POST"])
def choose_orgs(request):
    form = ChooseOrgsForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        plan, _created = MigrationPlan.objects.get_or_create(
            owner=request.user,
            source_org=form.cleaned_data["source"],
            target_org=form.cleaned_data["target"],
        )
        return redirect("sync:compare", plan_id=plan.pk)

    plans = (
        MigrationPlan.objects.for_user(request.user)
        .select_related("source_org", "target_org")
        .annotate_selected()
    )
    context = {"form": form, "plans": plans}
    return render(request, "sync/wizard_choose.html", context)


@require_GET
@vary_on_headers("HX-Request")
def compare_orgs(request, plan_id):
    plan = _get_plan_for_user(request.user, plan_id)
    return _render_comparison(request, plan, CompareFilterForm(request.GET))


@require_POST
def update_selection(request, plan_id):
    plan = _get_plan_for_user(request.user, plan_id)
    filters = CompareFilterForm(request.POST)
    form = SelectionForm(request.POST)
    if form.is_valid():
        _apply_selection(plan, form.cleaned_data, filters)
    if request.htmx:
        return _render_comparison(request, plan, filters)

    query = filters.query().urlencode()
    url = reverse("sync:compare", kwargs={"plan_id": plan.pk})
    return redirect(f"{url}?{query}" if query else url)


def _apply_selection(plan, data, filters):
    action = data["action"]
    if action == "save-page":
        chosen = set(data["selected"])
        plan.select([pk for pk in data["on_page"] if pk in chosen])
        plan.deselect([pk for pk in data["on_page"] if pk not in chosen])
    elif action == "select-all":
        matching = compare.filtered(compare.comparison(plan), **filters.filters())
        plan.select(matching)
    else:
        plan.clear()


def _render_comparison(request, plan, filters):
    rows = compare.comparison(plan)
    criteria = filters.filters()
    without_status = compare.filtered(rows, **{**criteria, "status": ""})
    matching = compare.filtered(rows, **criteria)
    page = Paginator(matching, COMPARE_PAGE_SIZE).get_page(filters.query().get("page"))
    # Counted with the statuses, in the same query, rather than once more.
    counts = compare.status_counts(without_status)

    context = {
        "plan": plan,
        "filters": filters,
        "query": filters.query(),
        "page": page,
        "rows": compare.page_rows(plan, page.object_list),
        "status_counts": [
            (status, compare.Status.LABELS[status], count.total)
            for status, count in counts.items()
        ],
        "selectable_count": compare.selectable_count(counts, criteria["status"]),
        "selected_count": plan.planned.count(),
        "by_content": compare.BY_CONTENT,
        "by_date": compare.BY_DATE,
    }
    template = "sync/plan_compare.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)
