"""
``make demo``: Ferry, its task worker and the Salesforce emulator, wired
together on this machine, with nothing to configure and no Salesforce org.

    python -m tests.demo [--port 8000] [--emulator-port 8765]

Every run starts from an empty database in ``demo-data/``: the emulator keeps
the tokens it issued in memory only, so orgs connected in an earlier run could
not be refreshed any more. Ctrl-C stops everything the demo started.
"""

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.salesforce_emulator import Emulator, EmulatorServer
from tests.salesforce_emulator.config import DEFAULT_CONFIG_PATH

REPO = Path(__file__).resolve().parent.parent
# The demo's own test keeps its database out of the working tree.
DATA = Path(os.environ.get("FERRY_DEMO_DATA") or REPO / "demo-data")
DATABASE = DATA / "demo.sqlite3"
FERRY_USER = "demo"
FERRY_PASSWORD = "ferry-demo"
SANDBOX_APP = "sandbox_app"
# How Ferry labels each emulated connected app in its "Connected app" list.
APP_LABELS = {
    "default": "Default connected app",
    SANDBOX_APP: "Sandbox connected app",
}
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10

# Set by a stop signal and acted on between steps, so that no process is
# ever started without the clean-up knowing about it.
stop_requested = threading.Event()


class Stop(Exception):
    """A signal asked the demo to stop."""


class DemoError(Exception):
    """Something keeps the demo from starting or running; the message says what."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m tests.demo",
        description="Run Ferry against a local Salesforce emulator (make demo).",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="Ferry's port (default: 8000)"
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=8765,
        help="the emulated Salesforce's port (default: 8765; 0: any free port)",
    )
    return parser


def main(argv=None):
    options = build_parser().parse_args(argv)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _request_stop)

    server = None
    processes = {}
    try:
        _check_port_free(options.port, "--port")
        emulator = Emulator(DEFAULT_CONFIG_PATH)
        server = _start_emulator(emulator, options.emulator_port)
        url = f"http://127.0.0.1:{options.port}"
        environment = ferry_environment(emulator, url)

        print(f"Preparing a fresh demo database at {DATABASE} …")
        prepare_database(environment)
        start_ferry(environment, options.port, processes)
        _wait_until_serving(f"{url}/login/", processes)
        print(banner(emulator, url), flush=True)
        _watch(processes)
    except DemoError as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    except Stop:
        print("\nStopping the demo …", flush=True)
    finally:
        _stop(processes)
        if server is not None:
            server.stop()
    print("Everything the demo started has stopped.")
    return 0


def _request_stop(signum, frame):
    stop_requested.set()


def _stop_if_requested():
    if stop_requested.is_set():
        raise Stop


def _check_port_free(port, option):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise DemoError(
                f"Port {port} on 127.0.0.1 is taken ({error.strerror}); choose "
                f"another with {option}."
            ) from error


def _start_emulator(emulator, port):
    try:
        return EmulatorServer(emulator, port=port).start()
    except OSError as error:
        raise DemoError(
            f"The emulator cannot listen on port {port} ({error.strerror}); choose "
            "another with --emulator-port."
        ) from error


def ferry_environment(emulator, url) -> dict:
    """Return the environment that points Ferry at ``emulator``.

    Everything that could come from a developer's ``.env`` and break a local
    run is set here too, since these values take precedence over the file.
    """
    default, sandbox = emulator.app("default"), emulator.app(SANDBOX_APP)
    prefix = f"SALESFORCE_APP_{SANDBOX_APP.upper()}_"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
        "FERRY_DEMO": "on",
        "DEBUG": "on",
        "HTTPS": "off",
        "SECURE_SSL_REDIRECT": "off",
        "SECURE_PROXY_SSL_HEADER_ENABLED": "off",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": "",
        "DATABASE_URL": f"sqlite:///{DATABASE}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "SALESFORCE_CLIENT_ID": default.client_id,
        "SALESFORCE_CLIENT_SECRET": default.client_secret,
        "SALESFORCE_SOURCE_CLIENT_ID": "",
        "SALESFORCE_TARGET_CLIENT_ID": "",
        "SALESFORCE_APPS": SANDBOX_APP,
        f"{prefix}LABEL": APP_LABELS[SANDBOX_APP],
        f"{prefix}CLIENT_ID": sandbox.client_id,
        f"{prefix}CLIENT_SECRET": sandbox.client_secret,
        "SALESFORCE_LOGIN_URL": emulator.base_url,
        "SALESFORCE_SANDBOX_LOGIN_URL": emulator.base_url,
        "SALESFORCE_CALLBACK_URL": f"{url}/orgs/oauth/callback/",
    }


def prepare_database(environment):
    """Create the demo database afresh, with the Ferry sign-in user."""
    DATA.mkdir(exist_ok=True)
    for leftover in DATA.glob(f"{DATABASE.name}*"):
        leftover.unlink()
    _manage(environment, "migrate", "--no-input", "--verbosity", "0")
    _manage(
        environment,
        "createsuperuser",
        "--no-input",
        "--username",
        FERRY_USER,
        "--email",
        "demo@ferry.example",
        extra={"DJANGO_SUPERUSER_PASSWORD": FERRY_PASSWORD},
    )


def _manage(environment, *arguments, extra=None):
    command = [sys.executable, "manage.py", *arguments]
    result = subprocess.run(
        command, cwd=REPO, env={**environment, **(extra or {})}, check=False
    )
    _stop_if_requested()
    if result.returncode != 0:
        raise DemoError(f"`manage.py {arguments[0]}` failed (see above).")


def start_ferry(environment, port, processes):
    """Start the web app and the task worker, adding them to ``processes``.

    Each gets a process group of its own, so a Ctrl-C in the terminal reaches
    only the demo, which then stops them and waits for them.
    """
    commands = {
        "web app": ["runserver", f"127.0.0.1:{port}", "--noreload"],
        "task worker": ["db_worker", "--no-reload", "--no-startup-delay"],
    }
    for name, arguments in commands.items():
        processes[name] = subprocess.Popen(
            [sys.executable, "manage.py", *arguments],
            cwd=REPO,
            env=environment,
            process_group=0,
        )


def _wait_until_serving(url, processes):
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _check_running(processes)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.25)
    raise DemoError(f"Ferry did not answer at {url} within {READY_TIMEOUT_SECONDS}s.")


def _watch(processes):
    """Wait for a stop signal, or for a process that ends on its own."""
    while True:
        _check_running(processes)
        time.sleep(0.5)


def _check_running(processes):
    _stop_if_requested()
    for name, process in processes.items():
        if process.poll() is not None:
            raise DemoError(
                f"The {name} stopped on its own (exit code {process.returncode}), "
                "so the demo stopped too."
            )


def _stop(processes):
    for process in processes.values():
        _signal_group(process, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process, signum):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def banner(emulator, url) -> str:
    lines = [
        "",
        "Ferry demo is running.",
        "",
        f"  Open {url}/ and sign in to Ferry as {FERRY_USER} / {FERRY_PASSWORD}",
        "",
        f"  Salesforce is emulated at {emulator.base_url}; nothing leaves this "
        "machine.",
        "  Connect each org (Connect an org), then sign in at the emulated Salesforce:",
    ]
    apps = emulator.config["apps"]
    for org in emulator.config["orgs"]:
        app = next(app for app in apps if org["alias"] in app["installed_in"])
        user = org["users"][0]
        lines += [
            "",
            f"    {org['name']}",
            f"      Connected app: {APP_LABELS[app['name']]}   "
            f"Org type: {org['type'].capitalize()}",
            f"      Salesforce sign-in: {user['username']} / {user['password']}",
        ]
    lines += [
        "",
        "  Then click Refresh Components on each org and compare them.",
        "  Ctrl-C stops the demo.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
