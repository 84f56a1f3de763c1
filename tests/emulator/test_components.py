import pytest

from tests.emulator.helpers import query
from tests.salesforce_emulator import Emulator
from tests.salesforce_emulator.components import ComponentError
from tests.salesforce_emulator.synthetic import synthetic_components


@pytest.fixture
def prod_tokens(sf_emulator):
    return sf_emulator.issue_tokens("prod", "default")


def test_added_component_is_queryable_with_defaults(sf_emulator, prod_tokens):
    record = sf_emulator.add_component(
        "prod", "ApexClass", {"Name": "Brand_New", "Body": "public class Brand_New {}"}
    )

    rows = query(
        prod_tokens,
        "SELECT Id, Status, ApiVersion, ManageableState FROM ApexClass "
        "WHERE Name = 'Brand_New'",
    ).json()["records"]

    assert rows[0]["Id"] == record["Id"]
    assert rows[0]["Status"] == "Active"
    assert rows[0]["ManageableState"] == "unmanaged"


def test_ids_are_stable_across_emulators(emulator_config):
    first = Emulator(emulator_config).org("prod").component("ApexClass", "ErpClient")
    second = Emulator(emulator_config).org("prod").component("ApexClass", "ErpClient")

    assert first["Id"] == second["Id"]


def test_same_name_in_two_orgs_gets_two_ids(sf_emulator):
    prod = sf_emulator.org("prod").component("ApexClass", "ErpClient")
    uat = sf_emulator.org("uat").component("ApexClass", "ErpClient")

    assert prod["Id"] != uat["Id"]


def test_changed_component_gets_a_new_last_modified_date(sf_emulator, prod_tokens):
    before = dict(sf_emulator.org("prod").component("ApexClass", "ErpClient"))

    sf_emulator.change_component("prod", "ApexClass", "ErpClient", Body="changed")

    row = query(
        prod_tokens,
        "SELECT Body, LastModifiedDate FROM ApexClass WHERE Name = 'ErpClient'",
    ).json()["records"][0]
    assert row["Body"] == "changed"
    assert row["LastModifiedDate"] > before["LastModifiedDate"]


def test_deleted_component_disappears(sf_emulator, prod_tokens):
    sf_emulator.delete_component("prod", "CustomField", "Account.Region__c")

    rows = query(
        prod_tokens,
        "SELECT Id FROM CustomField "
        "WHERE DeveloperName = 'Region' AND TableEnumOrId = 'Account'",
    ).json()["records"]

    assert rows == []


def test_deleting_a_flow_definition_deletes_its_versions(sf_emulator, prod_tokens):
    sf_emulator.delete_component("prod", "FlowDefinition", "Invoice_Approval")

    rows = query(prod_tokens, "SELECT Id, Status FROM Flow").json()["records"]

    assert [row["Status"] for row in rows] == ["Draft"]


def test_custom_field_accepts_object_name_or_id(sf_emulator):
    object_id = sf_emulator.org("prod").component("CustomObject", "Invoice__c")["Id"]

    by_name = sf_emulator.add_component(
        "prod", "CustomField", {"DeveloperName": "Notes", "TableEnumOrId": "Invoice__c"}
    )
    by_id = sf_emulator.add_component(
        "prod", "CustomField", {"DeveloperName": "Memo", "TableEnumOrId": object_id}
    )

    assert by_name["TableEnumOrId"] == object_id
    assert by_id["_full_name"] == "Invoice__c.Memo__c"


def test_namespaced_full_names_set_prefix_and_state(sf_emulator):
    record = sf_emulator.add_component(
        "prod", "CustomObject", {"FullName": "acme__Widget__mdt"}
    )

    assert record["DeveloperName"] == "Widget"
    assert record["NamespacePrefix"] == "acme"
    assert record["ManageableState"] == "installed"


@pytest.mark.parametrize(
    ("tooling_type", "fields", "message"),
    [
        ("ApexClass", {"Body": "x"}, "needs Name"),
        ("ApexClass", {"Name": "ErpClient"}, "already has ApexClass ErpClient"),
        ("ApexClass", {"Name": "X", "Colour": "red"}, "has no field 'Colour'"),
        ("Widget", {"Name": "X"}, "not a supported Tooling type"),
        ("CustomField", {"FullName": "Account.Region"}, "is not Object.Field__c"),
    ],
)
def test_bad_specs_are_refused(sf_emulator, tooling_type, fields, message):
    with pytest.raises(ComponentError, match=message):
        sf_emulator.add_component("prod", tooling_type, fields)


def test_synthetic_org_has_the_requested_size_and_is_deterministic():
    first = synthetic_components(1000, seed=3)
    second = synthetic_components(1000, seed=3)

    assert sum(len(specs) for specs in first.values()) == 1000
    assert first == second


def test_synthetic_components_load_into_an_org(emulator_config):
    emulator_config["orgs"][0]["components"] = synthetic_components(2000)

    emulator = Emulator(emulator_config)

    components = emulator.org("prod").components
    assert len(components["ApexClass"]) > 600
    assert len(components["Flow"]) == len(components["FlowDefinition"])
