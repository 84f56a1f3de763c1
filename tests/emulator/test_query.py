import pytest
import requests

from tests.emulator.helpers import api_get, query, query_all_pages
from tests.salesforce_emulator import Emulator
from tests.salesforce_emulator.ids import to_18


@pytest.fixture
def prod_tokens(sf_emulator):
    return sf_emulator.issue_tokens("prod", "default")


@pytest.fixture
def uat_tokens(sf_emulator):
    return sf_emulator.issue_tokens("uat", "sandbox_app")


def _only_classes(emulator, count):
    classes = emulator.org("prod").components["ApexClass"]
    del classes[:]
    for index in range(count):
        emulator.add_component("prod", "ApexClass", {"Name": f"Generated{index:05d}"})


def _first_page_of_200(tokens):
    headers = {"Sforce-Query-Options": "batchSize=200"}
    return query(tokens, "SELECT Id FROM ApexClass", headers=headers).json()


def test_versions_need_no_auth(sf_emulator):
    response = requests.get(
        f"{sf_emulator.instance_url('prod')}/services/data/", timeout=5
    )

    versions = response.json()
    assert {
        "label": "Summer '26",
        "url": "/services/data/v67.0",
        "version": "67.0",
    } in (versions)
    assert {
        "label": "Winter '26",
        "url": "/services/data/v65.0",
        "version": "65.0",
    } in (versions)
    assert "Sforce-Limit-Info" not in response.headers


def test_every_rest_response_carries_limit_info(sf_emulator, prod_tokens):
    first = query(prod_tokens, "SELECT Id FROM ApexClass")
    second = query(prod_tokens, "SELECT Nonsense FROM ApexClass")

    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/15000"


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("prod", {"IsSandbox": False, "OrganizationType": "Enterprise Edition"}),
        ("uat", {"IsSandbox": True, "OrganizationType": "Enterprise Edition"}),
    ],
)
def test_organization_query_answers_per_org_type(sf_emulator, alias, expected):
    app = "default" if alias == "prod" else "sandbox_app"
    tokens = sf_emulator.issue_tokens(alias, app)

    response = query(
        tokens,
        "SELECT Id, Name, OrganizationType, IsSandbox, InstanceName, "
        "NamespacePrefix, TrialExpirationDate FROM Organization",
        tooling=False,
    )

    record = response.json()["records"][0]
    assert record["Id"] == sf_emulator.org(alias).org_id
    assert record["TrialExpirationDate"] is None
    assert record["NamespacePrefix"] is None
    for field, value in expected.items():
        assert record[field] == value


@pytest.mark.parametrize(
    ("org_type", "edition", "sandbox", "trial"),
    [
        ("developer", "Developer Edition", False, False),
        ("scratch", "Developer Edition", True, True),
    ],
)
def test_developer_and_scratch_orgs_classify_like_sfdx_core(
    emulator_config, org_type, edition, sandbox, trial
):
    emulator_config["orgs"][0]["type"] = org_type
    emulator = Emulator(emulator_config)

    record = emulator.org("prod").organization_record()

    assert record["OrganizationType"] == edition
    assert record["IsSandbox"] is sandbox
    assert (record["TrialExpirationDate"] is not None) is trial


def test_tooling_response_has_locator_and_entity_fields(sf_emulator, prod_tokens):
    body = query(prod_tokens, "SELECT Id, Name FROM ApexClass LIMIT 2").json()

    assert list(body) == [
        "size",
        "totalSize",
        "done",
        "queryLocator",
        "entityTypeName",
        "records",
    ]
    assert body["entityTypeName"] == "ApexClass"
    assert body["queryLocator"] is None
    url = body["records"][0]["attributes"]["url"]
    assert (
        url
        == f"/services/data/v65.0/tooling/sobjects/ApexClass/{body['records'][0]['Id']}"
    )


def test_rest_query_has_no_tooling_fields(sf_emulator, prod_tokens):
    body = query(prod_tokens, "SELECT Id FROM User", tooling=False).json()

    assert list(body) == ["totalSize", "done", "records"]


@pytest.mark.parametrize("count", [0, 1, 200, 201, 2000, 2001])
def test_paging_returns_every_record_exactly_once(sf_emulator, prod_tokens, count):
    _only_classes(sf_emulator, count)

    pages, records = query_all_pages(prod_tokens, "SELECT Id, Name FROM ApexClass")

    ids = [record["Id"] for record in records]
    assert len(ids) == count
    assert len(set(ids)) == count
    assert all(page["totalSize"] == count for page in pages)
    assert len(pages) == max(1, -(-count // 2000))


@pytest.mark.parametrize("count", [0, 1, 200, 201])
def test_batch_size_header_sets_the_page_size(sf_emulator, prod_tokens, count):
    _only_classes(sf_emulator, count)
    headers = {"Sforce-Query-Options": "batchSize=200"}

    pages, records = query_all_pages(
        prod_tokens, "SELECT Id FROM ApexClass", headers=headers
    )

    assert len({record["Id"] for record in records}) == count
    assert [len(page["records"]) for page in pages][:1] == [min(count, 200)]
    assert len(pages) == max(1, -(-count // 200))


def test_batch_size_below_the_minimum_is_raised_to_200(sf_emulator, prod_tokens):
    _only_classes(sf_emulator, 450)

    pages, _ = query_all_pages(
        prod_tokens,
        "SELECT Id FROM ApexClass",
        headers={"Sforce-Query-Options": "batchSize=50"},
    )

    assert [len(page["records"]) for page in pages] == [200, 200, 50]


def test_body_queries_come_in_pages_of_200(sf_emulator, prod_tokens):
    _only_classes(sf_emulator, 401)

    pages, records = query_all_pages(prod_tokens, "SELECT Id, Body FROM ApexClass")

    assert [len(page["records"]) for page in pages] == [200, 200, 1]
    assert len({record["Id"] for record in records}) == 401


def test_next_records_url_is_relative_to_the_instance(sf_emulator, prod_tokens):
    _only_classes(sf_emulator, 201)

    body = _first_page_of_200(prod_tokens)

    locator, offset = body["queryLocator"].rsplit("-", 1)
    assert body["nextRecordsUrl"] == f"/services/data/v65.0/tooling/query/{locator}-200"
    assert offset == "200"
    assert locator.startswith("01g")


def test_rest_paging_uses_query_paths(sf_emulator, prod_tokens):
    for index in range(2100):
        sf_emulator.add_component(
            "prod", "CustomField", {"FullName": f"Account.F{index}__c"}
        )

    body = query(prod_tokens, "SELECT Id FROM User", tooling=False).json()
    tooling = query(prod_tokens, "SELECT Id FROM CustomField").json()

    assert body["done"] is True
    assert tooling["nextRecordsUrl"].startswith(
        "/services/data/v65.0/tooling/query/01g"
    )


def test_unknown_locator_is_invalid_query_locator(sf_emulator, prod_tokens):
    response = api_get(
        prod_tokens, "/services/data/v65.0/tooling/query/01gxx0000000000AAA-2000"
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_locator_does_not_work_on_the_other_api(sf_emulator, prod_tokens):
    _only_classes(sf_emulator, 201)
    body = _first_page_of_200(prod_tokens)

    response = api_get(
        prod_tokens, f"/services/data/v65.0/query/{body['queryLocator']}"
    )

    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_eleventh_open_cursor_drops_the_oldest(sf_emulator, prod_tokens):
    _only_classes(sf_emulator, 201)
    urls = [_first_page_of_200(prod_tokens)["nextRecordsUrl"] for _ in range(11)]

    oldest = api_get(prod_tokens, urls[0])
    newest = api_get(prod_tokens, urls[-1])

    assert oldest.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert newest.status_code == 200


def test_relationship_fields_come_back_nested(sf_emulator, prod_tokens):
    body = query(
        prod_tokens,
        "SELECT Name, LastModifiedBy.Name, CreatedBy.Username FROM ApexClass "
        "WHERE Name = 'InvoiceController'",
    ).json()

    record = body["records"][0]
    assert record["LastModifiedBy"]["Name"] == "Ada Admin"
    assert record["LastModifiedBy"]["attributes"]["type"] == "User"
    assert record["CreatedBy"] == {
        "attributes": record["CreatedBy"]["attributes"],
        "Username": "admin@acme.example",
    }


def test_custom_object_and_field_naming_follows_salesforce(sf_emulator, prod_tokens):
    objects = query(
        prod_tokens,
        "SELECT Id, DeveloperName, NamespacePrefix FROM CustomObject "
        "ORDER BY DeveloperName",
    ).json()["records"]
    fields = query(
        prod_tokens,
        "SELECT DeveloperName, TableEnumOrId, EntityDefinition.QualifiedApiName "
        "FROM CustomField WHERE DeveloperName IN ('Amount', 'Region')",
    ).json()["records"]

    invoice = next(item for item in objects if item["DeveloperName"] == "Invoice")
    assert "Tax_Rate" in [item["DeveloperName"] for item in objects]
    assert invoice["Id"].startswith("01I")
    by_table = {field["TableEnumOrId"]: field for field in fields}
    assert by_table[invoice["Id"]]["DeveloperName"] == "Amount"
    assert by_table[invoice["Id"]]["EntityDefinition"]["QualifiedApiName"] == (
        "Invoice__c"
    )
    assert by_table["Account"]["DeveloperName"] == "Region"


def test_entity_definition_maps_durable_ids(sf_emulator, prod_tokens):
    records = query(
        prod_tokens,
        "SELECT DurableId, QualifiedApiName, NamespacePrefix FROM EntityDefinition",
    ).json()["records"]

    by_name = {record["QualifiedApiName"]: record for record in records}
    assert by_name["Account"]["DurableId"] == "Account"
    assert {"Contact", "Opportunity", "Lead", "Case"} <= set(by_name)
    assert by_name["Invoice_Paid__e"]["DurableId"].startswith("01I")
    managed = by_name["dlrs__LookupRollupSummary__c"]
    assert managed["NamespacePrefix"] == "dlrs"


def test_managed_components_are_installed_and_hidden(sf_emulator, prod_tokens):
    records = query(
        prod_tokens,
        "SELECT Name, NamespacePrefix, ManageableState, Body FROM ApexClass "
        "WHERE NamespacePrefix = 'dlrs'",
    ).json()["records"]

    assert {record["Name"] for record in records} >= {"RollupService"}
    assert all(record["ManageableState"] == "installed" for record in records)
    assert all(record["Body"] == "(hidden)" for record in records)


def test_flow_definition_links_its_active_version(sf_emulator, prod_tokens):
    records = query(
        prod_tokens,
        "SELECT DeveloperName, ActiveVersionId, LatestVersionId, "
        "ActiveVersion.VersionNumber, LatestVersion.Status FROM FlowDefinition "
        "ORDER BY DeveloperName",
    ).json()["records"]

    draft, active = records
    assert draft["DeveloperName"] == "Account_Onboarding"
    assert draft["ActiveVersionId"] is None
    assert draft["ActiveVersion"] is None
    assert draft["LatestVersion"]["Status"] == "Draft"
    assert active["ActiveVersion"]["VersionNumber"] == 1
    assert active["ActiveVersionId"] == active["LatestVersionId"]


AUDIT_FIELDS = (
    "Id, NamespacePrefix, ManageableState, CreatedDate, CreatedById, "
    "LastModifiedDate, LastModifiedById"
)


@pytest.mark.parametrize(
    "entity", ["ApexTrigger", "StaticResource", "LightningComponentBundle", "Flow"]
)
def test_every_component_has_audit_fields(sf_emulator, prod_tokens, entity):
    soql = " ".join(["SELECT", AUDIT_FIELDS, "FROM", entity])

    records = query(prod_tokens, soql).json()["records"]

    assert records
    for record in records:
        assert record["LastModifiedDate"].endswith(".000+0000")
        assert record["CreatedDate"] <= record["LastModifiedDate"]
        assert record["LastModifiedById"].startswith("005")
        assert to_18(record["Id"][:15]) == record["Id"]


def test_errors_are_json_arrays_with_salesforce_codes(sf_emulator, prod_tokens):
    bad_field = query(prod_tokens, "SELECT Id, Nme FROM ApexClass")
    bad_type = query(prod_tokens, "SELECT Id FROM ApexKlass")
    malformed = query(prod_tokens, "SELECT Id FORM ApexClass")

    assert bad_field.status_code == 400
    assert bad_field.json() == [
        {
            "message": "\nSELECT Id, Nme FROM ApexClass\n           ^\n"
            "ERROR at Row:1:Column:12\nNo such column 'Nme' on entity 'ApexClass'."
            " If you are attempting to use a custom field, be sure to append the"
            " '__c' after the custom field name. Please reference your WSDL or the"
            " describe call for the appropriate names.",
            "errorCode": "INVALID_FIELD",
        }
    ]
    assert bad_type.json()[0]["errorCode"] == "INVALID_TYPE"
    assert malformed.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_tooling_objects_are_not_in_the_rest_api(sf_emulator, prod_tokens):
    response = query(prod_tokens, "SELECT Id FROM ApexClass", tooling=False)

    assert response.json()[0]["errorCode"] == "INVALID_TYPE"


def test_full_name_needs_a_single_row(sf_emulator, prod_tokens):
    many = query(prod_tokens, "SELECT Id, FullName FROM ApexClass")
    one = query(
        prod_tokens, "SELECT Id, FullName FROM ApexClass WHERE Name = 'ErpClient'"
    )

    assert many.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert one.json()["records"][0]["FullName"] == "ErpClient"


def test_missing_query_string_is_malformed(sf_emulator, prod_tokens):
    response = api_get(prod_tokens, "/services/data/v65.0/query")

    assert response.json() == [
        {
            "message": "A query string has to be specified",
            "errorCode": "MALFORMED_QUERY",
        }
    ]


def test_unknown_api_version_is_not_found(sf_emulator, prod_tokens):
    response = query(prod_tokens, "SELECT Id FROM ApexClass", version="20.0")

    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_expired_token_gets_invalid_session_id(sf_emulator, prod_tokens):
    sf_emulator.expire_access_tokens()

    response = query(prod_tokens, "SELECT Id FROM ApexClass")

    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_token_on_another_orgs_instance_gets_invalid_session_id(
    sf_emulator, prod_tokens
):
    wrong_org = {**prod_tokens, "instance_url": sf_emulator.instance_url("uat")}

    response = query(wrong_org, "SELECT Id FROM ApexClass")

    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_token_without_api_scope_is_refused_without_inviting_refresh(sf_emulator):
    tokens = sf_emulator.issue_tokens("prod", "default", scope="id refresh_token")

    response = query(tokens, "SELECT Id FROM ApexClass")

    assert response.status_code == 401
    assert response.json()[0]["message"] == (
        "This session is not valid for use with the REST API"
    )


def test_data_api_is_not_served_on_the_login_host(sf_emulator, prod_tokens):
    on_login_host = {**prod_tokens, "instance_url": sf_emulator.base_url}

    response = query(on_login_host, "SELECT Id FROM ApexClass")

    assert response.status_code == 404


def test_daily_quota_runs_out_with_request_limit_exceeded(sf_emulator, prod_tokens):
    sf_emulator.set_daily_limit("prod", 2)
    query(prod_tokens, "SELECT Id FROM ApexClass")
    query(prod_tokens, "SELECT Id FROM ApexClass")

    response = query(prod_tokens, "SELECT Id FROM ApexClass")

    assert response.status_code == 403
    assert response.json() == [
        {
            "message": "TotalRequests Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]
    assert response.headers["Sforce-Limit-Info"] == "api-usage=2/2"


def test_limits_resource_reports_remaining_calls(sf_emulator, prod_tokens):
    response = api_get(prod_tokens, "/services/data/v65.0/limits")

    assert response.json() == {"DailyApiRequests": {"Max": 15000, "Remaining": 14999}}


def test_records_can_be_fetched_by_id(sf_emulator, prod_tokens):
    user_id = prod_tokens["id"].rsplit("/", 1)[1]
    apex_class = sf_emulator.org("prod").component("ApexClass", "ErpClient")

    user = api_get(prod_tokens, f"/services/data/v65.0/sobjects/User/{user_id}")
    tooling = api_get(
        prod_tokens,
        f"/services/data/v65.0/tooling/sobjects/ApexClass/{apex_class['Id']}",
    )
    missing = api_get(
        prod_tokens, "/services/data/v65.0/sobjects/User/005000000000000AAA"
    )

    assert user.json()["Username"] == "admin@acme.example"
    assert tooling.json()["FullName"] == "ErpClient"
    assert missing.status_code == 404


def test_uat_differs_from_prod_where_the_samples_do(
    sf_emulator, prod_tokens, uat_tokens
):
    soql = "SELECT Name, Body FROM ApexClass WHERE NamespacePrefix = null"

    prod = {r["Name"]: r["Body"] for r in query(prod_tokens, soql).json()["records"]}
    uat = {r["Name"]: r["Body"] for r in query(uat_tokens, soql).json()["records"]}

    assert "LeadRouter" in prod
    assert "LeadRouter" not in uat
    assert "PaymentGateway" in uat
    assert prod["TriggerHandler"] == uat["TriggerHandler"]
    assert prod["InvoiceCalculator"] != uat["InvoiceCalculator"]
