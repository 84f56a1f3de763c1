"""Run the emulator: ``python -m tests.salesforce_emulator --config FILE``."""

import argparse
import sys

from .config import DEFAULT_CONFIG_PATH, ConfigError
from .emulator import Emulator
from .server import EmulatorServer

CONFIG_HELP = """\
configuration file (JSON):
  {
    "settings": {                         all optional
      "access_token_ttl_seconds": 7200,   access token lifetime
      "query_batch_size": 2000,           default page size (200-2000)
      "auto_approve": false,              skip the sign-in form: sign in the
                                          login_hint user, else the first user
                                          of the first org, and redirect at once
      "api_versions": ["55.0", ...],      versions listed at /services/data/
      "allow_loopback_redirects": false,  also accept a registered loopback
                                          callback on any port (Salesforce
                                          itself wants an exact match)
      "timeout_delay_seconds": 3,         sleep of the "timeout" fault
      "token_delay_seconds": 0,           time a refresh stays in flight
      "authorization_code_ttl_seconds": 900,
      "query_locator_ttl_seconds": 900,
      "max_query_cursors_per_user": 10,   older cursors are dropped
      "max_refresh_tokens_per_user": 5,   per user and app; the oldest goes
      "daily_api_limit": 15000            default per-org REST quota
    },
    "apps": [{
      "name": "default",
      "client_id": "3MVG9...",
      "client_secret": "...",             absent: public client (PKCE only)
      "redirect_uris": ["http://localhost:8000/orgs/oauth/callback/"],
      "installed_in": ["prod"],           org aliases; default: every org
      "rotate_refresh_tokens": false,
      "require_secret": true,             default: true when a secret is set
      "scopes": ["api", "id", "refresh_token", "web"]
    }],
    "orgs": [{
      "alias": "prod",                    instance URL: <base>/instances/prod
      "org_id": "00D5g00000AcmePEAR",     18 chars, 00D prefix, valid checksum
      "name": "Acme Production",
      "type": "production",               production|sandbox|developer|scratch
      "my_domain": "acme",                optional: <base>/domains/acme instead
      "instance_name": "NA224",           optional
      "daily_api_limit": 15000,           optional
      "users": [{"username": "admin@acme.example", "password": "...",
                 "name": "Ada Admin"}],
      "sfdx": "acme-prod",                SFDX project folder, relative to the
                                          config file
      "components": {                     extra Tooling records per type
        "ApexClass": [{"FullName": "ns__Thing", "Body": "(hidden)"}],
        "CustomField": [{"FullName": "Account.Region__c"}]
      }
    }]
  }

One port serves the login host (/services/oauth2/...) and every org's
instance path. The control API lives under /_emulator/ (GET /_emulator/
lists orgs and apps; GET /_emulator/requests is the request log).
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m tests.salesforce_emulator",
        description="Serve a local Salesforce emulator (OAuth, REST, Tooling).",
        epilog=CONFIG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG_PATH),
        help="JSON configuration file (default: the two-org sample)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free)")
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="override settings.auto_approve to true",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log every request to stderr"
    )
    return parser


def main(argv=None):
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        emulator = Emulator(options.config)
    except ConfigError as error:
        parser.exit(2, f"{parser.prog}: bad config: {error}\n")
    if options.auto_approve:
        emulator.update_settings(auto_approve=True)

    server = EmulatorServer(
        emulator, options.host, options.port, quiet=not options.verbose
    ).start()
    print(f"Salesforce emulator on {server.url}")
    for alias, org in emulator.state.orgs.items():
        usernames = ", ".join(user.username for user in org.users)
        print(f"  {alias}: {org.name} at {emulator.instance_url(alias)} ({usernames})")
    sys.stdout.flush()
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
