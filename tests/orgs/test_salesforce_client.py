"""The org API client against precise Salesforce answers (no emulator)."""

import pytest
import requests
import responses

from orgs.exceptions import (
    ConnectionBroken,
    InvalidResponse,
    RateLimited,
    SalesforceAPIError,
    SalesforceUnavailable,
)
from orgs.salesforce import SalesforceClient
from tests.helpers import EMULATOR_URL, app, make_org
from tests.orgs.test_tokens import TOKEN_URL, token_answer

pytestmark = pytest.mark.django_db

INSTANCE = f"{EMULATOR_URL}/instances/prod"
QUERY = f"{INSTANCE}/services/data/v66.0/query"
EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def page(records, next_url=None):
    body = {"totalSize": 3, "done": next_url is None, "records": records}
    if next_url:
        body["nextRecordsUrl"] = next_url
    return body


@responses.activate
def test_query_follows_next_records_url_to_the_end(owner):
    client = SalesforceClient(make_org(owner))
    locator = "/services/data/v66.0/query/01gXX0000000001-2000"
    responses.get(QUERY, json=page([{"Id": "1"}, {"Id": "2"}], next_url=locator))
    responses.get(f"{INSTANCE}{locator}", json=page([{"Id": "3"}]))

    records = list(client.query("SELECT Id FROM Account"))

    assert [record["Id"] for record in records] == ["1", "2", "3"]


@responses.activate
def test_next_records_url_that_repeats_the_instance_path_is_not_doubled(owner):
    client = SalesforceClient(make_org(owner))
    locator = "/instances/prod/services/data/v66.0/query/01gXX0000000001-2000"
    responses.get(QUERY, json=page([{"Id": "1"}], next_url=locator))
    responses.get(f"{EMULATOR_URL}{locator}", json=page([{"Id": "2"}]))

    records = list(client.query("SELECT Id FROM Account"))

    assert len(records) == 2


@responses.activate
def test_expired_session_refreshes_once_and_retries_on_the_new_instance(owner):
    org = make_org(owner)
    moved = f"{EMULATOR_URL}/instances/prod-moved"
    responses.get(QUERY, status=401, json=EXPIRED)
    responses.post(TOKEN_URL, json=token_answer(app("default"), instance_url=moved))
    responses.get(f"{moved}/services/data/v66.0/query", json=page([{"Id": "1"}]))

    records = list(SalesforceClient(org).query("SELECT Id FROM Account"))

    assert records == [{"Id": "1"}]
    retried = responses.calls[-1].request
    assert (
        retried.headers["Authorization"] == "Bearer 00D5g00000AcmeP!fresh-access-token"
    )


@responses.activate
def test_second_expired_session_is_an_error_not_a_loop(owner):
    org = make_org(owner)
    responses.get(QUERY, status=401, json=EXPIRED)
    responses.post(TOKEN_URL, json=token_answer(app("default")))

    with pytest.raises(ConnectionBroken, match="right after refreshing"):
        list(SalesforceClient(org).query("SELECT Id FROM Account"))

    assert len(responses.calls) == 3


@responses.activate
def test_daily_limit_is_reported_as_rate_limited(owner):
    org = make_org(owner)
    responses.get(
        QUERY,
        status=403,
        json=[
            {
                "message": "TotalRequests Limit exceeded.",
                "errorCode": "REQUEST_LIMIT_EXCEEDED",
            }
        ],
    )

    with pytest.raises(RateLimited, match="daily Salesforce API requests"):
        list(SalesforceClient(org).query("SELECT Id FROM Account"))


@responses.activate
def test_outage_is_retried_then_reported(owner):
    org = make_org(owner)
    responses.get(QUERY, status=503, body="unavailable")

    with pytest.raises(SalesforceUnavailable, match="Try again later"):
        list(SalesforceClient(org).query("SELECT Id FROM Account"))

    assert len(responses.calls) == 4


@responses.activate
def test_timeout_is_reported_as_unavailable(owner):
    org = make_org(owner)
    responses.get(QUERY, body=requests.ReadTimeout("slow"))

    with pytest.raises(SalesforceUnavailable, match="did not answer in time"):
        list(SalesforceClient(org).query("SELECT Id FROM Account"))


@responses.activate
def test_garbage_json_is_reported(owner):
    org = make_org(owner)
    responses.get(QUERY, body="<html>maintenance</html>", status=200)

    with pytest.raises(InvalidResponse, match="not JSON"):
        list(SalesforceClient(org).query("SELECT Id FROM Account"))


@responses.activate
def test_query_errors_carry_salesforce_code_and_message(owner):
    org = make_org(owner)
    error = {
        "message": "\nSELECT Nope FROM Account\n       ^\nERROR at Row:1:Column:8\n"
        "No such column 'Nope' on entity 'Account'.",
        "errorCode": "INVALID_FIELD",
    }
    responses.get(QUERY, status=400, json=[error])

    with pytest.raises(SalesforceAPIError, match="No such column") as raised:
        list(SalesforceClient(org).query("SELECT Nope FROM Account"))

    assert raised.value.code == "INVALID_FIELD"


@responses.activate
def test_stale_token_on_the_identity_service_refreshes_once(owner):
    org = make_org(owner)
    userinfo = f"{INSTANCE}/services/oauth2/userinfo"
    responses.get(userinfo, status=403, body="Bad_OAuth_Token")
    responses.post(TOKEN_URL, json=token_answer(app("default")))
    responses.get(userinfo, json={"organization_id": org.org_id})

    identity = SalesforceClient(org).get("/services/oauth2/userinfo")

    assert identity == {"organization_id": org.org_id}
    assert len(responses.calls) == 3
