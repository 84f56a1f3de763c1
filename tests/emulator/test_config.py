import copy
import json

import pytest

from tests.salesforce_emulator.config import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    load_config,
)


@pytest.fixture
def raw_config():
    raw = json.loads(DEFAULT_CONFIG_PATH.read_text())
    for org in raw["orgs"]:
        org["sfdx"] = str(DEFAULT_CONFIG_PATH.parent / org["sfdx"])
    return raw


def _error_for(raw, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_default_config_loads_with_absolute_sfdx_paths():
    config = load_config(DEFAULT_CONFIG_PATH)

    assert [org["alias"] for org in config["orgs"]] == ["prod", "uat"]
    assert config["orgs"][0]["sfdx"].endswith("samples/acme-prod")
    assert config["settings"]["query_batch_size"] == 2000


def test_loading_a_loaded_config_changes_nothing():
    config = load_config(DEFAULT_CONFIG_PATH)

    assert load_config(copy.deepcopy(config)) == config


def test_bad_org_id_names_the_key(raw_config, tmp_path):
    raw_config["orgs"][1]["org_id"] = "00Dshort"

    message = _error_for(raw_config, tmp_path)

    assert message.startswith("orgs[1].org_id: must be 18 characters starting with 00D")


def test_org_id_with_wrong_checksum_is_refused(raw_config, tmp_path):
    raw_config["orgs"][0]["org_id"] = "00D5g00000AcmePAAA"

    message = _error_for(raw_config, tmp_path)

    assert message.startswith("orgs[0].org_id:")


def test_installed_in_must_name_a_known_org(raw_config, tmp_path):
    raw_config["apps"][0]["installed_in"] = ["prod", "qa"]

    message = _error_for(raw_config, tmp_path)

    assert message == "apps[0].installed_in[1]: no org has alias 'qa'"


def test_unknown_setting_is_refused(raw_config, tmp_path):
    raw_config["settings"]["auto_aprove"] = True

    message = _error_for(raw_config, tmp_path)

    assert message == "settings.auto_aprove: unknown setting"


def test_missing_sfdx_project_is_reported(raw_config, tmp_path):
    raw_config["orgs"][0]["sfdx"] = "does-not-exist"

    message = _error_for(raw_config, tmp_path)

    assert message.startswith("orgs[0].sfdx:")
    assert "sfdx-project.json" in message


def test_relative_paths_resolve_against_the_config_file(raw_config, tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "sfdx-project.json").write_text(
        '{"packageDirectories": [{"path": "force-app"}]}'
    )
    raw_config["orgs"][0]["sfdx"] = "project"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw_config))

    config = load_config(path)

    assert config["orgs"][0]["sfdx"] == str((tmp_path / "project").resolve())


def test_invalid_json_is_reported(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")

    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(path)


def test_openid_scope_is_refused_rather_than_granted_without_id_token(
    raw_config, tmp_path
):
    raw_config["apps"][0]["scopes"] = ["api", "openid"]

    message = _error_for(raw_config, tmp_path)

    assert message == "apps[0].scopes[1]: openid is not emulated (no id_token)"
