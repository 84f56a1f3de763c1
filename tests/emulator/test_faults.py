import time

import pytest
import requests

from tests.emulator.helpers import query, refresh


@pytest.fixture
def prod_tokens(sf_emulator):
    return sf_emulator.issue_tokens("prod", "default")


def test_unavailable_fails_the_next_calls_then_recovers(sf_emulator, prod_tokens):
    sf_emulator.fail_next(2, "unavailable", endpoint="tooling")

    statuses = [
        query(prod_tokens, "SELECT Id FROM ApexClass").status_code for _ in range(3)
    ]

    assert statuses == [503, 503, 200]


def test_fault_on_one_org_leaves_the_other_alone(sf_emulator, prod_tokens):
    uat_tokens = sf_emulator.issue_tokens("uat", "sandbox_app")
    sf_emulator.fail_next(1, "unavailable", org="uat")

    prod = query(prod_tokens, "SELECT Id FROM ApexClass")
    uat = query(uat_tokens, "SELECT Id FROM ApexClass")

    assert prod.status_code == 200
    assert uat.status_code == 503


def test_request_limit_fault_answers_like_the_quota(sf_emulator, prod_tokens):
    sf_emulator.fail_next(1, "request_limit", endpoint="query")

    response = query(prod_tokens, "SELECT Id FROM Organization", tooling=False)

    assert response.status_code == 403
    assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_request_limit_on_the_token_endpoint_is_an_oauth_error(
    sf_emulator, prod_tokens
):
    sf_emulator.fail_next(1, "request_limit", endpoint="token")

    response = refresh(
        sf_emulator, sf_emulator.app("default"), prod_tokens["refresh_token"]
    )

    assert response.status_code == 400
    assert response.json()["error"] == "rate_limit_exceeded"


def test_unavailable_token_endpoint_is_503(sf_emulator, prod_tokens):
    sf_emulator.fail_next(1, "unavailable", org="prod", endpoint="token")

    response = refresh(
        sf_emulator, sf_emulator.app("default"), prod_tokens["refresh_token"]
    )

    assert response.status_code == 503


def test_timeout_sleeps_then_answers_503(sf_emulator, prod_tokens):
    sf_emulator.update_settings(timeout_delay_seconds=0.2)
    sf_emulator.fail_next(1, "timeout")

    started = time.monotonic()
    response = query(prod_tokens, "SELECT Id FROM ApexClass")

    assert time.monotonic() - started >= 0.2
    assert response.status_code == 503


def test_timeout_trips_a_client_read_timeout(sf_live_emulator):
    tokens = sf_live_emulator.issue_tokens("prod", "default")
    sf_live_emulator.update_settings(timeout_delay_seconds=1)
    sf_live_emulator.fail_next(1, "timeout")

    with pytest.raises(requests.ReadTimeout):
        requests.get(
            f"{tokens['instance_url']}/services/data/v65.0/limits",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=0.2,
        )


def test_invalid_json_answers_200_with_a_broken_body(sf_emulator, prod_tokens):
    sf_emulator.fail_next(1, "invalid_json", endpoint="tooling")

    response = query(prod_tokens, "SELECT Id FROM ApexClass")

    assert response.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_unknown_fault_kind_is_refused(sf_emulator):
    with pytest.raises(ValueError, match="kind must be one of"):
        sf_emulator.fail_next(1, "explode")


def test_faulted_calls_do_not_use_quota(sf_emulator, prod_tokens):
    sf_emulator.fail_next(1, "unavailable")
    query(prod_tokens, "SELECT Id FROM ApexClass")

    response = query(prod_tokens, "SELECT Id FROM ApexClass")

    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_request_log_records_token_and_query_calls(sf_emulator, prod_tokens):
    app = sf_emulator.app("default")
    refresh(sf_emulator, app, prod_tokens["refresh_token"])
    query(prod_tokens, "SELECT Id FROM ApexClass")

    token_call, query_call = sf_emulator.requests

    assert token_call["method"] == "POST"
    assert token_call["path"] == "/services/oauth2/token"
    assert token_call["org_alias"] == "prod"
    assert token_call["client_id"] == app.client_id
    assert token_call["grant_type"] == "refresh_token"
    assert token_call["status"] == 200
    assert query_call["path"] == "/instances/prod/services/data/v65.0/tooling/query"
    assert query_call["query"] == "SELECT Id FROM ApexClass"
    assert query_call["endpoint"] == "tooling"
    assert query_call["client_id"] == app.client_id


def test_token_requests_filter_the_log(sf_emulator, prod_tokens):
    default = sf_emulator.app("default")
    other = sf_emulator.app("sandbox_app")
    refresh(sf_emulator, default, prod_tokens["refresh_token"])
    refresh(sf_emulator, other, prod_tokens["refresh_token"])
    query(prod_tokens, "SELECT Id FROM ApexClass")

    by_grant = sf_emulator.token_requests(grant_type="refresh_token")
    by_client = sf_emulator.token_requests(client_id=other.client_id)

    assert len(by_grant) == 2
    assert [entry["status"] for entry in by_client] == [400]


def test_control_api_over_http(sf_emulator, prod_tokens):
    base = f"{sf_emulator.base_url}/_emulator"
    requests.post(
        f"{base}/fail_next",
        json={"count": 1, "kind": "unavailable", "endpoint": "tooling"},
        timeout=5,
    )
    failed = query(prod_tokens, "SELECT Id FROM ApexClass")
    requests.post(f"{base}/expire_access_tokens", json={"org": "prod"}, timeout=5)
    expired = query(prod_tokens, "SELECT Id FROM ApexClass")

    log = requests.get(f"{base}/requests", timeout=5).json()
    summary = requests.get(f"{base}/", timeout=5).json()

    assert failed.status_code == 503
    assert expired.status_code == 401
    assert [entry["status"] for entry in log] == [503, 401]
    assert summary["orgs"][0]["instance_url"] == sf_emulator.instance_url("prod")


def test_control_api_manages_components(sf_emulator, prod_tokens):
    base = f"{sf_emulator.base_url}/_emulator/orgs/prod/components"

    added = requests.post(
        f"{base}/ApexClass", json={"Name": "ViaHttp", "Body": "x"}, timeout=5
    )
    changed = requests.patch(f"{base}/ApexClass/ViaHttp", json={"Body": "y"}, timeout=5)
    deleted = requests.delete(f"{base}/CustomField/Account.Region__c", timeout=5)
    refused = requests.post(f"{base}/ApexClass", json={"Body": "x"}, timeout=5)

    assert added.json()["Id"].startswith("01p")
    assert changed.json()["Body"] == "y"
    assert deleted.json() == {"ok": True}
    assert refused.status_code == 400


def test_control_api_revokes_and_issues_tokens(sf_emulator):
    base = f"{sf_emulator.base_url}/_emulator"
    tokens = requests.post(
        f"{base}/issue_tokens", json={"org": "prod", "client_id": "default"}, timeout=5
    ).json()

    revoked = requests.post(
        f"{base}/revoke_refresh_token",
        json={"token": tokens["refresh_token"]},
        timeout=5,
    )

    assert revoked.json() == {"revoked": True}
    response = refresh(sf_emulator, sf_emulator.app("default"), tokens["refresh_token"])
    assert response.status_code == 400


def test_control_calls_are_not_logged(sf_emulator):
    requests.get(f"{sf_emulator.base_url}/_emulator/", timeout=5)

    assert sf_emulator.requests == []
