from pathlib import Path

import pytest

from tests.salesforce_emulator.sfdx import load_sfdx_project

SAMPLES = Path(__file__).parents[1] / "salesforce_emulator" / "samples"
CUSTOM_SUFFIXES = ("__c", "__mdt", "__e", "__b", "__x")


def _count_files(root):
    """Count components straight from the files, independently of the loader."""
    source = root / "force-app" / "main" / "default"
    objects = [path for path in (source / "objects").iterdir() if path.is_dir()]
    flows = list((source / "flows").glob("*.flow-meta.xml"))
    return {
        "ApexClass": len(list((source / "classes").glob("*.cls"))),
        "ApexTrigger": len(list((source / "triggers").glob("*.trigger"))),
        "ApexPage": len(list((source / "pages").glob("*.page"))),
        "ApexComponent": len(list((source / "components").glob("*.component"))),
        "LightningComponentBundle": len(list((source / "lwc").iterdir())),
        "AuraDefinitionBundle": len(list((source / "aura").iterdir())),
        "CustomObject": len(
            [path for path in objects if path.name.endswith(CUSTOM_SUFFIXES)]
        ),
        "CustomField": len(list(source.glob("objects/*/fields/*__c.field-meta.xml"))),
        "ValidationRule": len(list(source.glob("objects/*/validationRules/*"))),
        "FlowDefinition": len(flows),
        "StaticResource": len(
            list((source / "staticresources").glob("*.resource-meta.xml"))
        ),
        "ExternalString": (source / "labels" / "CustomLabels.labels-meta.xml")
        .read_text()
        .count("<labels>"),
    }


@pytest.mark.parametrize("project", ["acme-prod", "acme-uat"])
def test_component_counts_per_type_match_the_files(project):
    expected = _count_files(SAMPLES / project)

    specs = load_sfdx_project(SAMPLES / project)

    assert {key: len(value) for key, value in specs.items()} == expected


def test_class_body_and_meta_are_read():
    specs = load_sfdx_project(SAMPLES / "acme-uat")

    erp_client = next(s for s in specs["ApexClass"] if s["Name"] == "ErpClient")

    assert erp_client["ApiVersion"] == 65.0
    assert erp_client["Status"] == "Active"
    assert "setTimeout(20000)" in erp_client["Body"]


def test_trigger_object_and_events_come_from_the_header():
    specs = load_sfdx_project(SAMPLES / "acme-prod")

    triggers = {spec["Name"]: spec for spec in specs["ApexTrigger"]}

    assert triggers["InvoiceTrigger"]["TableEnumOrId"] == "Invoice__c"
    assert triggers["InvoiceTrigger"]["UsageBeforeInsert"] is True
    assert triggers["InvoiceTrigger"]["UsageAfterUpdate"] is True
    assert triggers["InvoiceTrigger"]["UsageBeforeUpdate"] is False


def test_standard_fields_are_not_custom_fields():
    specs = load_sfdx_project(SAMPLES / "acme-prod")

    names = {spec["FullName"] for spec in specs["CustomField"]}

    assert "Account.Region__c" in names
    assert "Account.Industry" not in names


def test_draft_flow_has_a_draft_version_only():
    specs = load_sfdx_project(SAMPLES / "acme-prod")

    flows = {spec["DeveloperName"]: spec for spec in specs["FlowDefinition"]}

    assert flows["Account_Onboarding"]["Versions"][0]["Status"] == "Draft"
    assert flows["Invoice_Approval"]["Versions"][0]["Status"] == "Active"


def test_exploded_static_resource_size_sums_its_files():
    specs = load_sfdx_project(SAMPLES / "acme-prod")

    resources = {spec["Name"]: spec for spec in specs["StaticResource"]}

    folder = SAMPLES / "acme-prod/force-app/main/default/staticresources/ChartLib"
    expected = sum(path.stat().st_size for path in folder.rglob("*"))
    assert resources["ChartLib"]["BodyLength"] == expected
    assert resources["ChartLib"]["ContentType"] == "application/zip"
