from datetime import timedelta

import pytest

from sync import compare
from sync.compare import Basis, Status
from tests.helpers import make_org
from tests.sync.helpers import MODIFIED, make_component

pytestmark = pytest.mark.django_db


def statuses(plan, **filters):
    rows = compare.filtered(compare.comparison(plan), **filters)
    return {(row.type, row.api_name, row.org_id): row.compare_status for row in rows}


def test_each_component_gets_its_status_against_the_target(
    plan, source_org, target_org
):
    later = MODIFIED + timedelta(days=1)
    make_component(source_org, "OnlyHere")
    make_component(source_org, "SameSource", content_hash="a" * 64)
    make_component(
        target_org, "SameSource", content_hash="a" * 64, last_modified_date=later
    )
    make_component(source_org, "EditedSource", content_hash="a" * 64)
    make_component(target_org, "EditedSource", content_hash="b" * 64)
    make_component(source_org, "Invoice__c", type="CustomObject")
    make_component(target_org, "Invoice__c", type="CustomObject")
    make_component(source_org, "Payment__c", type="CustomObject")
    make_component(
        target_org, "Payment__c", type="CustomObject", last_modified_date=later
    )
    make_component(target_org, "OnlyThere")

    result = statuses(plan)

    assert result == {
        ("ApexClass", "OnlyHere", source_org.pk): Status.NEW,
        ("ApexClass", "SameSource", source_org.pk): Status.IDENTICAL,
        ("ApexClass", "EditedSource", source_org.pk): Status.CHANGED,
        ("CustomObject", "Invoice__c", source_org.pk): Status.IDENTICAL,
        ("CustomObject", "Payment__c", source_org.pk): Status.CHANGED,
        ("ApexClass", "OnlyThere", target_org.pk): Status.ONLY_IN_TARGET,
    }


def test_each_status_says_whether_content_or_dates_decided_it(
    plan, source_org, target_org
):
    make_component(source_org, "Hashed", content_hash="a" * 64)
    make_component(target_org, "Hashed", content_hash="b" * 64)
    make_component(source_org, "Invoice__c", type="CustomObject")
    make_component(
        target_org,
        "Invoice__c",
        type="CustomObject",
        last_modified_date=MODIFIED + timedelta(days=1),
    )
    # Salesforce hides a managed class's body, so only one side has a hash.
    make_component(source_org, "pkg__Meter", content_hash="a" * 64)
    make_component(target_org, "pkg__Meter", manageable_state="installed")
    make_component(source_org, "OnlyHere")
    make_component(target_org, "OnlyThere")

    rows = compare.comparison(plan)

    basis = {row.api_name: row.compared_by for row in rows}
    assert basis == {
        "Hashed": Basis.CONTENT,
        "Invoice__c": Basis.DATE,
        "pkg__Meter": Basis.DATE,
        "OnlyHere": Basis.NONE,
        "OnlyThere": Basis.NONE,
    }


def test_same_name_of_another_type_is_not_a_counterpart(plan, source_org, target_org):
    make_component(source_org, "Invoice")
    make_component(target_org, "Invoice", type="ApexPage")

    result = statuses(plan)

    assert result == {
        ("ApexClass", "Invoice", source_org.pk): Status.NEW,
        ("ApexPage", "Invoice", target_org.pk): Status.ONLY_IN_TARGET,
    }


def test_a_third_orgs_components_play_no_part(plan, source_org, owner):
    elsewhere = make_org(owner, org_id="00D5g00000ThirdEAR", name="Third")
    make_component(source_org, "Shared")
    make_component(elsewhere, "Shared")
    make_component(elsewhere, "Stray")

    result = statuses(plan)

    assert result == {("ApexClass", "Shared", source_org.pk): Status.NEW}


def test_filters_narrow_by_type_status_and_search(plan, source_org, target_org):
    make_component(source_org, "InvoiceService", label="Invoices")
    make_component(source_org, "Invoice__c", type="CustomObject", label="Invoice")
    make_component(source_org, "Payment__c", type="CustomObject", label="Money in")
    make_component(target_org, "Payment__c", type="CustomObject")

    by_type = statuses(plan, component_type="CustomObject")
    by_status = statuses(plan, status=Status.NEW)
    by_search = statuses(plan, search="money")

    assert {name for _, name, _ in by_type} == {"Invoice__c", "Payment__c"}
    assert {name for _, name, _ in by_status} == {"InvoiceService", "Invoice__c"}
    assert {name for _, name, _ in by_search} == {"Payment__c"}


def test_status_counts_cover_every_status(plan, source_org, target_org):
    make_component(source_org, "A")
    make_component(source_org, "B")
    make_component(target_org, "C")

    counts = compare.status_counts(compare.comparison(plan))

    assert {status: count.total for status, count in counts.items()} == {
        Status.NEW: 2,
        Status.CHANGED: 0,
        Status.IDENTICAL: 0,
        Status.ONLY_IN_TARGET: 1,
    }


def test_selectable_counts_leave_out_managed_and_target_only_rows(
    plan, source_org, target_org
):
    make_component(source_org, "Mine")
    make_component(source_org, "pkg__Meter", manageable_state="installed")
    make_component(source_org, "Shared", content_hash="a" * 64)
    make_component(target_org, "Shared", content_hash="b" * 64)
    make_component(target_org, "Leftover")

    counts = compare.status_counts(compare.comparison(plan))

    assert compare.selectable_count(counts) == 2
    assert compare.selectable_count(counts, Status.NEW) == 1
    assert compare.selectable_count(counts, Status.ONLY_IN_TARGET) == 0


def test_page_rows_pair_each_source_with_its_target_and_selection(
    plan, source_org, target_org
):
    source = make_component(source_org, "Edited", content_hash="a" * 64)
    target = make_component(target_org, "Edited", content_hash="b" * 64)
    managed = make_component(
        source_org, "pkg__Tool", namespace="pkg", manageable_state="installed"
    )
    only_target = make_component(target_org, "Leftover")
    plan.select([source.pk])

    rows = compare.page_rows(plan, compare.comparison(plan))

    by_name = {row.component.api_name: row for row in rows}
    assert by_name["Edited"].source == source
    assert by_name["Edited"].target == target
    assert by_name["Edited"].selected
    assert by_name["Edited"].selectable
    assert not by_name["pkg__Tool"].selectable
    assert by_name["pkg__Tool"].source == managed
    assert by_name["Leftover"].target == only_target
    assert not by_name["Leftover"].selectable
