"""`make demo` as a newcomer meets it: start it, follow what it prints, Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import REPO, connect_org, open_tab, refresh_org, sign_in

pytestmark = pytest.mark.e2e

START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 30
FERRY_SIGN_IN = re.compile(r"Open (?P<url>\S+)/ and sign in to Ferry as (\S+) / (\S+)")
ORG_SIGN_IN = re.compile(
    r"^ {4}(?P<org>\S.*)\n"
    r" {6}Connected app: (?P<app>.+?) {3}Org type: (?P<org_type>\S+)\n"
    r" {6}Salesforce sign-in: (?P<username>\S+) / (?P<password>\S+)$",
    re.MULTILINE,
)


class Demo:
    """``python -m tests.demo`` in a process group of its own, as in a terminal."""

    def __init__(self, data_dir):
        command = [
            sys.executable,
            "-m",
            "tests.demo",
            "--port",
            str(_free_port()),
            "--emulator-port",
            str(_free_port()),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**_bare_environment(), "FERRY_DEMO_DATA": str(data_dir)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            process_group=0,
        )
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text):
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the demo never printed {text!r}:\n{self.output}")
            time.sleep(0.2)
        return self.output

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def interrupt(self) -> int:
        """Press Ctrl-C: SIGINT to the demo's process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        returncode = self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        self._reader.join(timeout=5)
        return returncode

    def stop(self):
        """Leave nothing running, even after a test that failed half-way."""
        if self.process.poll() is not None:
            return
        started = self.children()
        try:
            self.interrupt()
        except subprocess.TimeoutExpired:
            for group in [self.process.pid, *started]:
                with suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
            self.process.wait()


def _bare_environment() -> dict:
    """A newcomer's shell: none of the settings this test run has set."""
    kept = ("PATH", "HOME", "LANG", "TMPDIR")
    return {name: os.environ[name] for name in kept if name in os.environ}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _is_alive(pid) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # The state follows the command name; Z is a zombie, gone but for its
    # exit status.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def demo(tmp_path):
    demo = Demo(tmp_path)
    yield demo
    demo.stop()


def test_demo_reaches_a_refreshed_second_org_and_stops_cleanly(browser, demo, request):
    banner = demo.wait_for("Ctrl-C stops the demo.")
    ferry = FERRY_SIGN_IN.search(banner)
    orgs = [match.groupdict() for match in ORG_SIGN_IN.finditer(banner)]
    started = demo.children()
    assert [org["org"] for org in orgs] == ["Acme Production", "Acme UAT"]
    assert len(started) == 2

    with open_tab(browser, request.node.name) as page:
        sign_in(page, ferry["url"], ferry[2], ferry[3])
        for org in orgs:
            connect_org(
                page,
                ferry["url"],
                org["app"],
                org["org_type"],
                org["username"],
                org["password"],
            )
            expect(page.get_by_text(f"Connected {org['org']}.")).to_be_visible()
        page.get_by_role("link", name="Migration wizard").click()
        card = refresh_org(page, "Acme UAT")
        expect(card.locator(".run-summary")).to_contain_text("Refreshed ")

    assert demo.interrupt() == 0
    assert "Everything the demo started has stopped." in demo.output
    assert not [pid for pid in started if _is_alive(pid)]
