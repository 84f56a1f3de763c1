import pytest

from sync.models import PlannedComponent
from tests.sync.helpers import make_component

pytestmark = pytest.mark.django_db


def selected_names(plan):
    return set(plan.components.values_list("api_name", flat=True))


def test_selecting_ids_adds_only_the_sources_own_unmanaged_components(
    plan, source_org, target_org
):
    mine = make_component(source_org, "Mine")
    managed = make_component(source_org, "pkg__Theirs", manageable_state="installed")
    in_target = make_component(target_org, "InTarget")

    plan.select([mine.pk, managed.pk, in_target.pk])

    assert selected_names(plan) == {"Mine"}


def test_selecting_twice_keeps_one_entry(plan, source_org):
    mine = make_component(source_org, "Mine")

    plan.select([mine.pk])
    plan.select([mine.pk])

    assert PlannedComponent.objects.filter(plan=plan).count() == 1


def test_selecting_a_queryset_adds_its_selectable_rows(plan, source_org):
    for name in ("A", "B", "C"):
        make_component(source_org, name)
    make_component(source_org, "pkg__D", manageable_state="installedEditable")

    plan.select(source_org.components.exclude(api_name="C"))

    assert selected_names(plan) == {"A", "B"}


def test_deselect_and_clear_remove_from_the_selection(plan, source_org):
    first = make_component(source_org, "First")
    second = make_component(source_org, "Second")
    plan.select([first.pk, second.pk])

    plan.deselect([first.pk])
    after_deselect = selected_names(plan)
    plan.clear()

    assert after_deselect == {"Second"}
    assert selected_names(plan) == set()


def test_a_component_gone_from_the_org_leaves_the_selection(plan, source_org):
    gone = make_component(source_org, "Gone")
    plan.select([gone.pk])

    gone.delete()

    assert selected_names(plan) == set()
