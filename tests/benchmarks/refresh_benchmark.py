"""
Refresh a large synthetic org and compare with a bare fetch of the same pages.

    python -m tests.benchmarks.refresh_benchmark --components 50000

The emulator serves the org from a separate process on a loopback port, so
the peak memory printed is Ferry's alone. The refresh is the real code path:
``sync.tasks.start_refresh`` with the task run immediately, on a scratch
database (SQLite in a temporary file, or a test database beside the one
``DATABASE_URL`` names). The bare loop then sends the same component queries
with the same token and follows ``nextRecordsUrl`` with a regular expression,
parsing and storing nothing. Not a test: nothing here asserts.
"""

import argparse
import multiprocessing
import os
import re
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

EMULATOR_STARTUP_SECONDS = 120
NEXT_RECORDS_URL = re.compile(rb'"nextRecordsUrl"\s*:\s*"([^"]+)"')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0,
        help="delay every emulator answer, as a real Salesforce round trip would",
    )
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ferry-benchmark-") as scratch:
        _configure_django(Path(scratch))
        port = _free_port()
        ready = multiprocessing.get_context("spawn").Event()
        emulator = multiprocessing.get_context("spawn").Process(
            target=serve_synthetic_org,
            args=(options.components, options.seed, port, options.latency_ms, ready),
            daemon=True,
        )
        emulator.start()
        try:
            if not ready.wait(EMULATOR_STARTUP_SECONDS):
                sys.exit("the emulator did not start")
            print(
                f"{options.components:,} synthetic components, "
                f"{options.latency_ms:g} ms added per emulator answer"
            )
            _run(f"http://127.0.0.1:{port}")
        finally:
            emulator.terminate()
            emulator.join()


class Delayed:
    """A WSGI app that answers ``seconds`` late; the rest passes through."""

    def __init__(self, app, seconds):
        self.app = app
        self.seconds = seconds

    def __call__(self, environ, start_response):
        time.sleep(self.seconds)
        return self.app(environ, start_response)

    def __getattr__(self, name):
        return getattr(self.app, name)


def serve_synthetic_org(count, seed, port, latency_ms, ready):
    """Serve one org of ``count`` synthetic components (child process)."""
    from tests.salesforce_emulator import load_config
    from tests.salesforce_emulator.config import DEFAULT_CONFIG_PATH
    from tests.salesforce_emulator.emulator import Emulator
    from tests.salesforce_emulator.ids import to_18
    from tests.salesforce_emulator.server import EmulatorServer
    from tests.salesforce_emulator.synthetic import synthetic_components

    default_app = load_config(DEFAULT_CONFIG_PATH)["apps"][0]
    config = {
        "apps": [{**default_app, "installed_in": ["bench"]}],
        "orgs": [
            {
                "alias": "bench",
                "org_id": to_18("00D5g00000Bench"),
                "name": f"Synthetic org ({count:,} components)",
                "type": "production",
                "daily_api_limit": 1_000_000,
                "users": [
                    {"username": "bench@ferry.example", "password": "bench-pass"}
                ],
                "components": synthetic_components(count, seed),
            }
        ],
    }
    emulator = Emulator(config)
    if latency_ms:
        emulator.wsgi_app = Delayed(emulator.wsgi_app, latency_ms / 1000)
    server = EmulatorServer(emulator, port=port)
    server.start()
    ready.set()
    server._thread.join()


def _configure_django(scratch):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, as in production, not the in-memory test database.
        database.setdefault("TEST", {})["NAME"] = str(scratch / "benchmark.sqlite3")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(emulator_url):
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    test_database = connection.creation.create_test_db(verbosity=0)
    try:
        org = _connected_org(emulator_url)
        refresh = _measure_refresh(org, emulator_url)
        org.refresh_from_db()
        bare = _measure_bare_fetch(org)
        _report(refresh, bare, connection.vendor)
    finally:
        connection.creation.destroy_test_db(test_database, verbosity=0)


def _connected_org(emulator_url):
    import requests
    from django.contrib.auth import get_user_model

    from orgs.tokens import issued_at
    from tests.helpers import make_org

    summary = requests.get(f"{emulator_url}/_emulator/", timeout=10).json()
    remote = summary["orgs"][0]
    client_id = summary["apps"][0]["client_id"]
    token = requests.post(
        f"{emulator_url}/_emulator/issue_tokens",
        json={"org": remote["alias"], "client_id": client_id},
        timeout=10,
    ).json()
    owner = get_user_model().objects.create_user("benchmark")
    return make_org(
        owner,
        org_id=remote["org_id"],
        name=remote["name"],
        instance_url=token["instance_url"],
        login_url=emulator_url,
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_issued_at=issued_at(token),
        oauth_client_id=client_id,
    )


def _measure_refresh(org, emulator_url):
    import requests
    from django.db import connection

    from sync.tasks import start_refresh

    queries = []

    def count_query(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    requests.delete(f"{emulator_url}/_emulator/requests", timeout=10)
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    with connection.execute_wrapper(count_query):
        run, _created = start_refresh(org, org.owner)
    seconds = time.perf_counter() - started
    served = requests.get(f"{emulator_url}/_emulator/requests", timeout=30).json()

    if run.status != "succeeded":
        sys.exit(f"the refresh failed: {run.error_message}")
    return {
        "components": org.components.count(),
        "requests": len(served),
        "token_requests": sum(entry["endpoint"] == "token" for entry in served),
        "entity_lookups": sum(
            "FROM EntityDefinition" in (entry["query"] or "") for entry in served
        ),
        "queries": len(queries),
        "seconds": seconds,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _measure_bare_fetch(org):
    from orgs.salesforce import SalesforceClient, build_session
    from sync.component_types import COMPONENT_TYPES

    session = build_session()
    resolve = SalesforceClient(org, session=session).url
    headers = {"Authorization": f"Bearer {org.access_token}"}
    api = f"{org.instance_url}/services/data/v{org.api_version}/tooling/query"
    requests_sent = 0
    started = time.perf_counter()
    for component_type in COMPONENT_TYPES:
        url, params = api, {"q": component_type.soql}
        while url:
            response = session.get(url, params=params, headers=headers, timeout=120)
            response.raise_for_status()
            requests_sent += 1
            following = NEXT_RECORDS_URL.search(response.content)
            url = resolve(following[1].decode()) if following else None
            params = None
    return {"requests": requests_sent, "seconds": time.perf_counter() - started}


def _peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _report(refresh, bare, vendor):
    from sync.component_types import COMPONENT_TYPES

    types = len(COMPONENT_TYPES)
    api_requests = refresh["requests"] - refresh["token_requests"]
    batches = -(-refresh["components"] // 1000)
    rows = [
        ("components", f"{refresh['components']:,}", "same pages"),
        (
            "HTTP requests",
            f"{refresh['requests']:,} ({refresh['token_requests']} token, "
            f"{refresh['entity_lookups']} EntityDefinition)",
            f"{bare['requests']:,}",
        ),
        ("database queries", f"{refresh['queries']:,} ({vendor})", "none"),
        ("wall time", f"{refresh['seconds']:.1f} s", f"{bare['seconds']:.1f} s"),
        (
            "peak memory (RSS)",
            f"{refresh['peak_rss_mb']:.0f} MB "
            f"(before the refresh {refresh['rss_before_mb']:.0f} MB)",
            "",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"{'':{width}}  {'Ferry refresh':<48}  bare fetch loop")
    for name, ferry, loop in rows:
        print(f"{name:{width}}  {ferry:<48}  {loop}")
    print()
    print(
        f"API requests {api_requests:,} vs {bare['requests']:,} pages + {types} "
        f"types = {bare['requests'] + types:,} allowed"
    )
    print(f"database queries per 1,000 components: {refresh['queries'] / batches:.1f}")
    print(f"time ratio: {refresh['seconds'] / bare['seconds']:.2f}x the bare loop")


if __name__ == "__main__":
    main()
