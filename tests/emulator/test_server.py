import pytest
import requests
import responses

from tests.emulator.helpers import query, refresh
from tests.salesforce_emulator import Emulator, EmulatorServer


def test_server_serves_on_a_free_port_and_stops(emulator_config):
    emulator = Emulator(emulator_config)

    with EmulatorServer(emulator) as server:
        versions = requests.get(f"{server.url}/services/data/", timeout=5)

    assert versions.status_code == 200
    assert emulator.base_url == server.url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/services/data/", timeout=1)


def test_instance_urls_are_paths_on_the_one_port(sf_live_emulator):
    prod = sf_live_emulator.instance_url("prod")
    uat = sf_live_emulator.instance_url("uat")

    assert prod == f"{sf_live_emulator.base_url}/instances/prod"
    assert uat == f"{sf_live_emulator.base_url}/instances/uat"


def test_my_domain_org_lives_under_domains(emulator_config):
    emulator_config["orgs"][1]["my_domain"] = "acme--uat"

    emulator = Emulator(emulator_config, base_url="http://127.0.0.1:1")

    assert emulator.instance_url("uat") == "http://127.0.0.1:1/domains/acme--uat"


def test_instance_url_needs_a_base_url(emulator_config):
    emulator = Emulator(emulator_config)

    with pytest.raises(RuntimeError, match="base_url is unset"):
        emulator.instance_url("prod")


def test_unknown_instance_path_is_not_found(sf_emulator):
    response = requests.get(
        f"{sf_emulator.base_url}/instances/nope/services/data/", timeout=5
    )

    assert response.status_code == 404


def test_moved_org_returns_its_new_instance_url_on_refresh(sf_emulator):
    app = sf_emulator.app("default")
    tokens = sf_emulator.issue_tokens("prod", "default")

    sf_emulator.move_instance("prod", "/instances/na999")
    refreshed = refresh(sf_emulator, app, tokens["refresh_token"]).json()

    assert refreshed["instance_url"] == f"{sf_emulator.base_url}/instances/na999"
    assert query(refreshed, "SELECT Id FROM ApexClass").status_code == 200
    assert query(tokens, "SELECT Id FROM ApexClass").status_code == 200


def test_old_instance_path_can_stop_answering(sf_emulator):
    tokens = sf_emulator.issue_tokens("prod", "default")

    sf_emulator.move_instance("prod", "na999", keep_old=False)

    assert query(tokens, "SELECT Id FROM ApexClass").status_code == 404


def test_unmatched_requests_fail_under_the_mock(emulator_config):
    emulator = Emulator(emulator_config)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        emulator.mock(mock)
        with pytest.raises(requests.ConnectionError):
            requests.get("https://login.salesforce.com/services/data/", timeout=5)


def test_tests_can_add_their_own_responses_beside_the_emulator(sf_emulator):
    sf_emulator.responses_mock.get("https://example.com/ping", body="pong")

    response = requests.get("https://example.com/ping", timeout=5)

    assert response.text == "pong"


def test_mock_follows_redirects_like_a_server(sf_emulator):
    sf_emulator.update_settings(auto_approve=True)
    sf_emulator.responses_mock.get("http://testserver/orgs/oauth/callback/", body="ok")
    app = sf_emulator.app("default")

    response = requests.get(
        f"{sf_emulator.base_url}/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": "http://testserver/orgs/oauth/callback/",
        },
        timeout=5,
    )

    assert response.text == "ok"
    assert "code=" in response.url
