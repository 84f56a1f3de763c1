import json
import subprocess
import sys
import time

import pytest
import requests

from tests.salesforce_emulator.__main__ import build_parser, main


def test_help_documents_options_and_config_format(capsys):
    parser = build_parser()

    help_text = parser.format_help()

    for option in ("--config", "--port", "--host", "--auto-approve"):
        assert option in help_text
    for key in ("installed_in", "rotate_refresh_tokens", "org_id", "sfdx", "my_domain"):
        assert key in help_text


def test_bad_config_exits_with_the_key_at_fault(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"orgs": [{"alias": "x", "org_id": "nope"}]}))

    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(path)])

    assert exit_.value.code == 2
    assert "orgs[0].org_id: must be 18 characters starting with 00D" in (
        capsys.readouterr().err
    )


def _wait_for(url):
    deadline = time.monotonic() + 10
    while True:
        try:
            return requests.get(url, timeout=1)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_module_runs_as_a_server():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.salesforce_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split(" on ")[1].strip()
        versions = _wait_for(f"{url}/services/data/")
    finally:
        process.terminate()
        process.wait(timeout=5)

    assert versions.status_code == 200
