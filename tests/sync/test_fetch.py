"""Reading components through the emulator's Tooling API."""

import pytest

from sync.component_types import COMPONENT_TYPES
from sync.fetch import content_hash
from sync.models import Component
from sync.tasks import start_refresh

pytestmark = pytest.mark.django_db


def refresh(org):
    run, _created = start_refresh(org, org.owner)
    assert run.status == "succeeded", run.error_message
    return run


def names(org, component_type):
    return set(
        Component.objects.filter(org=org, type=component_type).values_list(
            "api_name", flat=True
        )
    )


def tooling_queries(emulator, tooling_object):
    return [
        entry
        for entry in emulator.requests
        if f"FROM {tooling_object}" in (entry["query"] or "")
    ]


def follow_ups(emulator):
    return [entry for entry in emulator.requests if "/tooling/query/" in entry["path"]]


def test_refresh_reads_every_type_of_the_sample_org(prod_org):
    run = refresh(prod_org)

    assert {"AccountService", "dlrs__RollupService"} <= names(prod_org, "ApexClass")
    assert {"AccountTrigger", "InvoiceTrigger"} <= names(prod_org, "ApexTrigger")
    assert {"AccountSummary", "InvoicePdf"} <= names(prod_org, "ApexPage")
    assert {"AddressBlock", "InvoiceLineTable"} <= names(prod_org, "ApexComponent")
    assert "invoiceSummary" in names(prod_org, "LightningComponentBundle")
    assert "InvoiceQuickAction" in names(prod_org, "AuraDefinitionBundle")
    assert "Invoice__c" in names(prod_org, "CustomObject")
    assert "Invoice__c.Amount__c" in names(prod_org, "CustomField")
    assert {"Account_Onboarding", "Invoice_Approval"} == names(prod_org, "Flow")
    assert "ChartLib" in names(prod_org, "StaticResource")
    assert all(run.progress[t.name]["done"] for t in COMPONENT_TYPES)
    assert run.added == prod_org.components.count()


def test_custom_objects_carry_their_suffix_and_namespace(prod_org, sf_emulator):
    for full_name in ("Archive__b", "Legacy_Order__x", "acme__Meter__c"):
        sf_emulator.add_component("prod", "CustomObject", {"FullName": full_name})

    refresh(prod_org)

    assert {
        "Invoice__c",
        "Tax_Rate__mdt",
        "Invoice_Paid__e",
        "Archive__b",
        "Legacy_Order__x",
        "acme__Meter__c",
        "dlrs__LookupRollupSummary__c",
    } <= names(prod_org, "CustomObject")
    invoice = prod_org.components.get(type="CustomObject", api_name="Invoice__c")
    assert invoice.label == "Invoice"


def test_custom_fields_are_named_after_their_object(prod_org, sf_emulator):
    sf_emulator.add_component("prod", "CustomObject", {"FullName": "acme__Meter__c"})
    for full_name in (
        "acme__Meter__c.acme__Reading__c",
        "acme__Meter__c.Local_Note__c",
        "Account.acme__Score__c",
        "Opportunity.Margin__c",
    ):
        sf_emulator.add_component("prod", "CustomField", {"FullName": full_name})

    refresh(prod_org)

    fields = names(prod_org, "CustomField")
    assert {
        "acme__Meter__c.acme__Reading__c",
        "acme__Meter__c.Local_Note__c",
        "Account.acme__Score__c",
        "Opportunity.Margin__c",
        "Account.Region__c",
        "Tax_Rate__mdt.Rate__c",
        "Invoice_Paid__e.Amount__c",
    } <= fields
    reading = prod_org.components.get(api_name="acme__Meter__c.acme__Reading__c")
    assert reading.parent == "acme__Meter__c"
    assert reading.namespace == "acme"


def test_triggers_name_their_object_and_namespaced_components_their_prefix(
    prod_org,
):
    refresh(prod_org)

    trigger = prod_org.components.get(type="ApexTrigger", api_name="InvoiceTrigger")
    managed = prod_org.components.get(api_name="dlrs__RollupService")
    assert trigger.parent == "Invoice__c"
    assert managed.namespace == "dlrs"
    assert managed.is_managed


def test_flows_say_whether_a_version_is_active(prod_org):
    refresh(prod_org)

    approval = prod_org.components.get(type="Flow", api_name="Invoice_Approval")
    onboarding = prod_org.components.get(type="Flow", api_name="Account_Onboarding")
    assert approval.status == "Active"
    assert onboarding.status == "Inactive"
    assert approval.raw["LatestVersionId"]


def test_queries_follow_next_records_url_past_2000_rows(prod_org, sf_emulator):
    for number in range(2100):
        sf_emulator.add_component(
            "prod", "CustomField", {"FullName": f"Account.Bulk_{number}__c"}
        )

    refresh(prod_org)

    assert len(names(prod_org, "CustomField")) == 2100 + 18
    assert len(tooling_queries(sf_emulator, "CustomField")) == 1
    assert len(follow_ups(sf_emulator)) == 1


def test_source_queries_page_through_200_row_batches(prod_org, sf_emulator):
    for number in range(450):
        sf_emulator.add_component(
            "prod",
            "ApexClass",
            {"Name": f"Bulk{number}", "Body": f"public class Bulk{number} {{}}"},
        )

    run = refresh(prod_org)

    assert run.progress["ApexClass"]["read"] == 450 + 21
    assert len(names(prod_org, "ApexClass")) == 450 + 21
    # 471 classes at 200 a page: two follow-up pages.
    assert len(follow_ups(sf_emulator)) == 2


def test_source_hash_ignores_line_endings_and_skips_hidden_source(
    prod_org, sf_emulator
):
    body = "public class Endings {\n    Integer x = 1;\n}\n"
    sf_emulator.add_component("prod", "ApexClass", {"Name": "Unix", "Body": body})
    sf_emulator.add_component(
        "prod", "ApexClass", {"Name": "Windows", "Body": body.replace("\n", "\r\n")}
    )

    refresh(prod_org)

    unix = prod_org.components.get(api_name="Unix")
    windows = prod_org.components.get(api_name="Windows")
    managed = prod_org.components.get(api_name="dlrs__RollupService")
    assert unix.content_hash == windows.content_hash == content_hash(body)
    assert managed.content_hash is None
    assert "Body" not in unix.raw


def test_every_request_is_a_page_the_data_needs(prod_org, sf_emulator):
    run = refresh(prod_org)

    component_queries = [
        entry
        for entry in sf_emulator.requests
        if entry["query"] and "EntityDefinition" not in entry["query"]
    ]
    entity_lookups = tooling_queries(sf_emulator, "EntityDefinition")
    # The sample org fits one page per type, and its custom objects' names
    # one EntityDefinition lookup; the token refresh is not an API call.
    assert len(component_queries) == len(COMPONENT_TYPES)
    assert len(entity_lookups) == 1
    assert run.request_count == len(COMPONENT_TYPES) + 1
