import pytest

from sync.models import Component, SyncRun
from sync.snapshot import has_changed, replace_snapshot
from tests.helpers import make_org
from tests.sync.helpers import make_component, make_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(owner):
    return make_org(owner)


@pytest.fixture
def run(org, owner):
    return SyncRun.objects.create(org=org, started_by=owner)


def test_first_refresh_adds_every_component(org, run):
    rows = [make_row("A"), make_row("B"), make_row("Invoice__c", type="CustomObject")]

    counts = replace_snapshot(org, run, rows)

    assert (counts.added, counts.changed, counts.unchanged, counts.removed) == (
        3,
        0,
        0,
        0,
    )
    assert set(org.components.values_list("type", "api_name")) == {
        ("ApexClass", "A"),
        ("ApexClass", "B"),
        ("CustomObject", "Invoice__c"),
    }


def test_refresh_counts_changed_unchanged_and_removed_components(org, run):
    kept = make_component(org, "Kept", content_hash="a" * 64)
    make_component(org, "Edited", content_hash="b" * 64)
    make_component(org, "Deleted", content_hash="c" * 64)
    rows = [make_row("Kept"), make_row("Edited"), make_row("Brand_New")]

    counts = replace_snapshot(org, run, rows)

    assert (counts.added, counts.changed, counts.unchanged, counts.removed) == (
        1,
        1,
        1,
        1,
    )
    assert sorted(org.components.values_list("api_name", flat=True)) == [
        "Brand_New",
        "Edited",
        "Kept",
    ]
    # Upserts keep the row, so selections pointing at it survive a refresh.
    assert org.components.get(api_name="Kept").pk == kept.pk
    assert org.components.get(api_name="Edited").content_hash == "a" * 64


def test_refresh_leaves_other_orgs_components_alone(org, run, owner):
    other_org = make_org(owner, org_id="00D5g00000OtherEAR", name="Other")
    make_component(other_org, "Elsewhere")

    replace_snapshot(org, run, [make_row("A")])

    assert other_org.components.filter(api_name="Elsewhere").exists()


def test_failure_while_storing_keeps_the_previous_snapshot(org, run):
    make_component(org, "Old", content_hash="a" * 64)

    def rows():
        yield make_row("New")
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        replace_snapshot(org, run, rows())

    assert list(org.components.values_list("api_name", flat=True)) == ["Old"]


def test_storing_costs_queries_per_batch_not_per_component(
    org, run, django_assert_max_num_queries
):
    rows = [make_row(f"Class{number}") for number in range(2500)]

    # Per batch of 1,000: one read of the rows it replaces and the upsert,
    # one statement on PostgreSQL and 18 on SQLite (999 parameters at most);
    # then the delete of what is gone, and savepoints.
    with django_assert_max_num_queries(3 * (1 + 18) + 4):
        counts = replace_snapshot(org, run, rows)

    assert counts.added == 2500
    assert Component.objects.filter(org=org).count() == 2500


def test_a_component_read_twice_is_stored_once(org, run):
    rows = [make_row("Twice", content_hash="a" * 64), make_row("Twice")]

    counts = replace_snapshot(org, run, rows)

    assert org.components.filter(api_name="Twice").count() == 1
    assert counts.added == 1


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        (("a", "2026-01-01"), ("a", "2026-02-02"), False),
        (("a", "2026-01-01"), ("b", "2026-01-01"), True),
        ((None, "2026-01-01"), (None, "2026-01-01"), False),
        ((None, "2026-01-01"), (None, "2026-02-02"), True),
        (("a", "2026-01-01"), (None, "2026-02-02"), True),
    ],
)
def test_source_hash_decides_before_modified_date(old, new, changed):
    assert has_changed(*old, *new) is changed
