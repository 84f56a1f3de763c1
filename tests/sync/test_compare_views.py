from datetime import timedelta

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sync.models import MigrationPlan
from tests.helpers import make_org
from tests.sync.helpers import MODIFIED, make_component

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def compare_url(plan):
    return f"/wizard/compare/{plan.pk}/"


def selection_url(plan):
    return f"/wizard/compare/{plan.pk}/selection/"


def test_choose_lists_only_the_users_refreshed_orgs(
    owner_client, source_org, target_org, owner, other_user
):
    make_org(owner, org_id="00D5g00000NeverEAR", name="Never Refreshed")
    make_org(other_user, org_id="00D5g00000OscarEAR", name="Oscar Prod")

    response = owner_client.get("/wizard/compare/")

    assertContains(response, "Acme Production")
    assertContains(response, "Acme UAT")
    assertNotContains(response, "Never Refreshed")
    assertNotContains(response, "Oscar Prod")


def initial_choice(response, field):
    return response.context["form"][field].value()


def test_choose_suggests_copying_from_the_sandbox_into_production(
    owner_client, source_org, target_org
):
    production, sandbox = source_org, target_org

    response = owner_client.get("/wizard/compare/")

    assert initial_choice(response, "source") == sandbox.pk
    assert initial_choice(response, "target") == production.pk


def test_choose_leaves_an_ambiguous_side_for_the_user_to_pick(
    owner_client, source_org, target_org, owner
):
    make_org(
        owner,
        org_id="00D5g00000AcmeQEAR",
        name="Acme QA",
        org_type="sandbox",
        last_synced_at=source_org.last_synced_at,
    )

    response = owner_client.get("/wizard/compare/")

    assert initial_choice(response, "source") is None
    assert initial_choice(response, "target") == source_org.pk
    assertContains(response, "Choose an org")


def test_choosing_two_orgs_saves_a_plan_and_opens_the_comparison(
    owner_client, source_org, target_org, owner
):
    data = {"source": source_org.pk, "target": target_org.pk}

    first = owner_client.post("/wizard/compare/", data)
    second = owner_client.post("/wizard/compare/", data)

    plan = MigrationPlan.objects.get(owner=owner)
    assertRedirects(first, compare_url(plan), fetch_redirect_response=False)
    assertRedirects(second, compare_url(plan), fetch_redirect_response=False)


def test_choosing_the_same_org_twice_is_refused(owner_client, source_org):
    data = {"source": source_org.pk, "target": source_org.pk}

    response = owner_client.post("/wizard/compare/", data)

    assertContains(response, "Choose two different orgs.")
    assert not MigrationPlan.objects.exists()


def test_choosing_another_users_org_is_refused(owner_client, source_org, other_user):
    theirs = make_org(
        other_user,
        org_id="00D5g00000OscarEAR",
        last_synced_at=source_org.last_synced_at,
    )

    response = owner_client.post(
        "/wizard/compare/", {"source": source_org.pk, "target": theirs.pk}
    )

    assert response.status_code == 200
    assert not MigrationPlan.objects.exists()


def test_compare_shows_both_sides_and_the_status(
    owner_client, plan, source_org, target_org
):
    make_component(source_org, "InvoiceService", content_hash="a" * 64)
    make_component(target_org, "InvoiceService", content_hash="b" * 64)
    make_component(target_org, "LegacyHelper")

    response = owner_client.get(compare_url(plan))

    assertContains(response, "InvoiceService")
    assertContains(response, "Changed")
    assertContains(response, "LegacyHelper")
    assertContains(response, "Only in target")
    assertContains(response, "<html", html=False)


def test_changed_by_dates_alone_says_the_content_was_not_compared(
    owner_client, plan, source_org, target_org
):
    later = MODIFIED + timedelta(days=1)
    make_component(source_org, "Invoice__c", type="CustomObject")
    make_component(
        target_org, "Invoice__c", type="CustomObject", last_modified_date=later
    )
    make_component(source_org, "InvoiceService", content_hash="a" * 64)
    make_component(target_org, "InvoiceService", content_hash="b" * 64)

    response = owner_client.get(compare_url(plan))

    rows = {row.component.api_name: row for row in response.context["rows"]}
    assertContains(response, "modified dates differ — content not compared", count=1)
    assert rows["Invoice__c"].compared_by_date
    assert not rows["InvoiceService"].compared_by_date
    assertContains(response, "Compared by content")
    assertContains(response, "Compared by modified date only")
    assertContains(response, "Custom objects, Custom fields, Flows")


def test_compare_lets_long_names_wrap_and_keeps_dates_on_one_line(
    owner_client, plan, source_org
):
    make_component(source_org, "A" * 120)

    response = owner_client.get(compare_url(plan))

    assertContains(response, '<td class="api-name">')
    assertContains(response, '<time datetime="2026-03-01T12:00:00+00:00">')


def test_compare_filters_and_answers_htmx_with_the_results_only(
    owner_client, plan, source_org
):
    make_component(source_org, "InvoiceService")
    make_component(source_org, "Invoice__c", type="CustomObject")

    response = owner_client.get(
        compare_url(plan), {"type": "CustomObject", "q": "invoice"}, **HTMX
    )

    assertContains(response, 'id="results"')
    assertContains(response, "Invoice__c")
    assertNotContains(response, "InvoiceService")
    assertNotContains(response, "<html")
    assert "HX-Request" in response["Vary"]


def test_an_invalid_filter_leaves_the_other_filters_applied(
    owner_client, plan, source_org
):
    make_component(source_org, "InvoiceService")
    make_component(source_org, "Invoice__c", type="CustomObject")

    response = owner_client.get(
        compare_url(plan), {"type": "CustomObject", "q": "x" * 500}
    )

    assertContains(response, "Invoice__c")
    assertNotContains(response, "InvoiceService")


def test_compare_paginates_on_the_server(owner_client, plan, source_org):
    for number in range(55):
        make_component(source_org, f"Class{number:02}")

    first = owner_client.get(compare_url(plan))
    second = owner_client.get(compare_url(plan), {"page": 2})

    assertContains(first, "Class49")
    assertNotContains(first, "Class50")
    assertContains(first, "Page 1 of 2")
    assertContains(second, "Class54")
    assertNotContains(second, "Class00")


def test_compare_query_count_does_not_grow_with_the_orgs(
    owner_client, plan, source_org, target_org, django_assert_num_queries
):
    for number in range(30):
        make_component(source_org, f"Class{number:02}", content_hash="a" * 64)
        make_component(target_org, f"Class{number:02}", content_hash="b" * 64)
    plan.select(source_org.components.all())

    # Session, user, plan; status counts, page count, page, target side,
    # selection on the page, selection total.
    with django_assert_num_queries(9):
        response = owner_client.get(compare_url(plan))

    assert response.status_code == 200


def test_another_users_plan_is_not_found(client, plan, other_user):
    client.force_login(other_user)

    page = client.get(compare_url(plan))
    selection = client.post(selection_url(plan), {"action": "clear"})

    assert page.status_code == 404
    assert selection.status_code == 404


def test_saving_a_page_selects_checked_rows_and_deselects_the_others(
    owner_client, plan, source_org
):
    kept = make_component(source_org, "Kept")
    dropped = make_component(source_org, "Dropped")
    added = make_component(source_org, "Added")
    plan.select([kept.pk, dropped.pk])

    owner_client.post(
        selection_url(plan),
        {
            "action": "save-page",
            "on_page": [kept.pk, dropped.pk, added.pk],
            "selected": [kept.pk, added.pk],
        },
    )

    assert set(plan.components.values_list("api_name", flat=True)) == {
        "Kept",
        "Added",
    }


def test_select_all_takes_the_filtered_set_without_managed_components(
    owner_client, plan, source_org, target_org
):
    make_component(source_org, "Invoice__c", type="CustomObject")
    make_component(source_org, "Payment__c", type="CustomObject")
    make_component(source_org, "InvoiceService")
    make_component(
        source_org, "pkg__Meter__c", type="CustomObject", manageable_state="installed"
    )
    make_component(target_org, "Legacy__c", type="CustomObject")

    owner_client.post(
        selection_url(plan), {"action": "select-all", "type": "CustomObject"}
    )

    assert set(plan.components.values_list("api_name", flat=True)) == {
        "Invoice__c",
        "Payment__c",
    }


def test_select_all_button_counts_only_what_it_will_select(
    owner_client, plan, source_org, target_org
):
    make_component(source_org, "Invoice__c", type="CustomObject")
    make_component(source_org, "Payment__c", type="CustomObject")
    make_component(
        source_org, "pkg__Meter__c", type="CustomObject", manageable_state="installed"
    )
    make_component(target_org, "Legacy__c", type="CustomObject")

    response = owner_client.get(compare_url(plan), {"type": "CustomObject"})
    owner_client.post(
        selection_url(plan), {"action": "select-all", "type": "CustomObject"}
    )

    assertContains(response, "Select all 2 selectable</button>", html=False)
    assertContains(response, "2 of the 4 matching components can be selected")
    assert plan.components.count() == 2


def test_select_all_respects_the_status_filter(
    owner_client, plan, source_org, target_org
):
    make_component(source_org, "Fresh")
    make_component(source_org, "Same", content_hash="a" * 64)
    make_component(target_org, "Same", content_hash="a" * 64)

    owner_client.post(selection_url(plan), {"action": "select-all", "status": "new"})

    assert list(plan.components.values_list("api_name", flat=True)) == ["Fresh"]


def test_clear_empties_the_selection(owner_client, plan, source_org):
    plan.select([make_component(source_org, "Mine").pk])

    owner_client.post(selection_url(plan), {"action": "clear"})

    assert not plan.components.exists()


def test_selection_without_javascript_redirects_back_with_the_filters(
    owner_client, plan, source_org
):
    make_component(source_org, "Mine")

    response = owner_client.post(
        selection_url(plan),
        {"action": "select-all", "type": "ApexClass", "q": "Mi", "page": "1"},
    )

    assertRedirects(
        response,
        f"{compare_url(plan)}?type=ApexClass&q=Mi&page=1",
        fetch_redirect_response=False,
    )


def test_selection_over_htmx_answers_with_the_updated_results(
    owner_client, plan, source_org
):
    mine = make_component(source_org, "Mine")

    response = owner_client.post(
        selection_url(plan),
        {"action": "save-page", "on_page": [mine.pk], "selected": [mine.pk]},
        **HTMX,
    )

    assertContains(response, "1 selected")
    assertContains(response, 'checked aria-label="Select Mine"', html=False)
    assertNotContains(response, "<html")


def test_managed_components_are_shown_but_cannot_be_selected(
    owner_client, plan, source_org
):
    managed = make_component(
        source_org, "pkg__Meter", namespace="pkg", manageable_state="installed"
    )

    page = owner_client.get(compare_url(plan))
    owner_client.post(
        selection_url(plan),
        {"action": "save-page", "on_page": [managed.pk], "selected": [managed.pk]},
    )

    assertContains(page, "pkg__Meter")
    assertContains(page, "Managed package")
    assertNotContains(page, f'name="selected" value="{managed.pk}"')
    assert not plan.components.exists()
