import requests


def _organization(emulator, tokens):
    response = requests.get(
        f"{tokens['instance_url']}/services/data/v65.0/query",
        params={"q": "SELECT Id, Name FROM Organization"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    return response.json()["records"][0]


def test_mocked_emulator_answers_without_a_socket(sf_emulator):
    tokens = sf_emulator.issue_tokens("prod", "default")

    organization = _organization(sf_emulator, tokens)

    assert sf_emulator.base_url == "http://127.0.0.1:5999"
    assert organization["Name"] == "Acme Production"


def test_live_emulator_answers_on_a_loopback_port(sf_live_emulator):
    tokens = sf_live_emulator.issue_tokens("uat", "sandbox_app")

    organization = _organization(sf_live_emulator, tokens)

    assert sf_live_emulator.base_url.startswith("http://127.0.0.1:")
    assert organization["Name"] == "Acme UAT"


def test_each_test_gets_its_own_config_copy(emulator_config):
    emulator_config["settings"]["auto_approve"] = True

    assert emulator_config["orgs"][0]["alias"] == "prod"


def test_config_changes_do_not_leak_between_tests(emulator_config):
    assert emulator_config["settings"]["auto_approve"] is False
