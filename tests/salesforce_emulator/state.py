"""What the emulator remembers: orgs, users, apps, codes, tokens and faults.

Everything here is guarded by ``EmulatorState.lock``; handlers hold it while
they read or change state and never while they sleep.
"""

import secrets
import string
import threading
import time
from dataclasses import dataclass, field

from .components import (
    COMPONENT_SCHEMAS,
    STANDARD_OBJECTS,
    ComponentBuilder,
    ComponentError,
    is_custom_object,
    now_string,
    user_id,
)
from .ids import stable_id, to_18
from .sfdx import load_sfdx_project

TOKEN_ALPHABET = string.ascii_letters + string.digits + "._"
FAULT_KINDS = ("unavailable", "request_limit", "timeout", "invalid_json")
ORGANIZATION_TYPES = {
    "production": "Enterprise Edition",
    "sandbox": "Enterprise Edition",
    "developer": "Developer Edition",
    "scratch": "Developer Edition",
}
DEFAULT_INSTANCE_NAMES = {
    "production": "NA224",
    "sandbox": "CS171",
    "developer": "NA173",
    "scratch": "CS98",
}


def random_token(length):
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def now():
    return time.time()


@dataclass
class User:
    org: "Org"
    username: str
    password: str
    name: str
    email: str
    active: bool
    id: str

    def record(self):
        first, _, last = self.name.rpartition(" ")
        return {
            "attributes": {"type": "User"},
            "Id": self.id,
            "Username": self.username,
            "Name": self.name,
            "FirstName": first or None,
            "LastName": last,
            "Email": self.email,
            "IsActive": self.active,
            "UserType": "Standard",
            "TimeZoneSidKey": "Europe/London",
            "LocaleSidKey": "en_GB",
            "LanguageLocaleKey": "en_US",
            "CreatedDate": "2024-03-01T09:00:00.000+0000",
            "CreatedById": self.org.users[0].id,
            "LastModifiedDate": "2025-01-01T09:00:00.000+0000",
            "LastModifiedById": self.org.users[0].id,
            "SystemModstamp": "2025-01-01T09:00:00.000+0000",
        }


class Org:
    """One Salesforce org: identity, users, metadata and API usage."""

    def __init__(self, config, settings):
        self.alias = config["alias"]
        self.org_id = config["org_id"]
        self.name = config["name"]
        self.type = config["type"]
        self.my_domain = config["my_domain"]
        self.instance_name = (
            config["instance_name"] or DEFAULT_INSTANCE_NAMES[self.type]
        )
        self.edition = config["edition"] or ORGANIZATION_TYPES[self.type]
        self.trial_expiration_date = config["trial_expiration_date"]
        if self.type == "scratch" and self.trial_expiration_date is None:
            self.trial_expiration_date = "2026-12-31T00:00:00.000+0000"
        self.daily_api_limit = config["daily_api_limit"] or settings["daily_api_limit"]
        self.api_usage = 0
        if self.my_domain:
            self.instance_path = f"/domains/{self.my_domain}"
        else:
            self.instance_path = f"/instances/{self.alias}"
        self.users = []
        for user in config["users"]:
            self.users.append(
                User(
                    org=self,
                    username=user["username"],
                    password=user["password"],
                    name=user["name"],
                    email=user["email"],
                    active=user["active"],
                    id=user_id(self.org_id, user["username"]),
                )
            )
        self._users_by_id = {user.id[:15]: user for user in self.users}
        self.builder = ComponentBuilder(self.org_id, self.users[0].id)
        self.components = {tooling_type: [] for tooling_type in COMPONENT_SCHEMAS}
        self._by_name = {}
        self._by_id = {}
        self.locators = {}

        if config["sfdx"]:
            self.add_specs(load_sfdx_project(config["sfdx"]))
        self.add_specs(config["components"])

    # Components

    def add_specs(self, specs):
        # Custom objects first, so fields can name them by id or API name.
        order = sorted(specs, key=lambda name: name != "CustomObject")
        for tooling_type in order:
            for spec in specs[tooling_type]:
                self.add_component(tooling_type, spec)

    def add_component(self, tooling_type, spec):
        records = self.builder.build(tooling_type, spec, self._custom_object_name)
        key = (tooling_type, records[0]["_full_name"].lower())
        if key in self._by_name:
            raise ComponentError(
                f"{self.alias} already has {tooling_type} {records[0]['_full_name']}"
            )
        for record in records:
            record_type = record["attributes"]["type"]
            self.components[record_type].append(record)
            self._by_name[(record_type, record["_full_name"].lower())] = record
            self._by_id[record["Id"][:15]] = record
        return records[0]

    def component(self, tooling_type, full_name):
        record = self._by_name.get((tooling_type, full_name.lower()))
        if record is None:
            raise ComponentError(f"{self.alias} has no {tooling_type} {full_name!r}")
        return record

    def change_component(self, tooling_type, full_name, fields):
        record = self.component(tooling_type, full_name)
        schema = COMPONENT_SCHEMAS[tooling_type]
        for key in fields:
            if schema.field(key) != key or key == "Id":
                raise ComponentError(f"{tooling_type} field {key!r} cannot be changed")
        record.update(fields)
        if "LastModifiedDate" not in fields:
            record["LastModifiedDate"] = now_string()
        record["SystemModstamp"] = record["LastModifiedDate"]
        return record

    def delete_component(self, tooling_type, full_name):
        record = self.component(tooling_type, full_name)
        doomed = [record]
        if tooling_type == "FlowDefinition":
            doomed += [
                flow
                for flow in self.components["Flow"]
                if flow["DefinitionId"] == record["Id"]
            ]
        for item in doomed:
            item_type = item["attributes"]["type"]
            self.components[item_type].remove(item)
            del self._by_name[(item_type, item["_full_name"].lower())]
            del self._by_id[item["Id"][:15]]

    def _custom_object_name(self, object_id):
        record = self._by_id.get(object_id[:15])
        return record["_full_name"] if record else None

    # Records the query engine reads

    def records_for(self, type_name):
        if type_name in self.components:
            return self.components[type_name]
        if type_name == "EntityDefinition":
            return self.entity_definitions()
        if type_name == "User":
            return [user.record() for user in self.users]
        if type_name == "Organization":
            return [self.organization_record()]
        return []

    def lookup(self, type_name, record_id):
        """Resolve a lookup field's value to the record it points at."""
        if type_name == "User":
            user = self._users_by_id.get(record_id[:15])
            return user.record() if user else None
        if type_name == "EntityDefinition":
            return self._entity_definition(record_id)
        return self._by_id.get(record_id[:15])

    def user_by_id(self, record_id):
        return self._users_by_id.get(record_id[:15])

    def organization_record(self):
        first_user = self.users[0]
        return {
            "attributes": {"type": "Organization"},
            "Id": self.org_id,
            "Name": self.name,
            "OrganizationType": self.edition,
            "IsSandbox": self.type in ("sandbox", "scratch"),
            "InstanceName": self.instance_name,
            "NamespacePrefix": None,
            "TrialExpirationDate": self.trial_expiration_date,
            "PrimaryContact": first_user.name,
            "Country": "GB",
            "LanguageLocaleKey": "en_US",
            "TimeZoneSidKey": "Europe/London",
            "DefaultLocaleSidKey": "en_GB",
            "CreatedDate": "2024-03-01T09:00:00.000+0000",
            "CreatedById": first_user.id,
            "LastModifiedDate": "2025-01-01T09:00:00.000+0000",
            "LastModifiedById": first_user.id,
            "SystemModstamp": "2025-01-01T09:00:00.000+0000",
        }

    def entity_definitions(self):
        names = set(STANDARD_OBJECTS)
        for tooling_type in ("CustomField", "ApexTrigger", "ValidationRule"):
            for record in self.components[tooling_type]:
                object_name = record.get("_object") or record.get("TableEnumOrId")
                if object_name and not is_custom_object(object_name):
                    names.add(object_name)
        standard = [self._standard_entity(name) for name in sorted(names)]
        custom = [
            self._custom_entity(record) for record in self.components["CustomObject"]
        ]
        return standard + custom

    def _entity_definition(self, durable_id):
        record = self._by_id.get(durable_id[:15])
        if record is not None and record["attributes"]["type"] == "CustomObject":
            return self._custom_entity(record)
        if is_custom_object(durable_id) or len(durable_id) == 18:
            return None
        return self._standard_entity(durable_id)

    def _standard_entity(self, name):
        key_prefix, label, plural = STANDARD_OBJECTS.get(name, (None, name, name + "s"))
        return self._entity(name, name, name, None, key_prefix, label, plural)

    def _custom_entity(self, record):
        # Custom object key prefixes look like a0X; derive one from the id.
        key_prefix = "a" + record["Id"][3:5]
        return self._entity(
            record["Id"],
            record["_full_name"],
            record["DeveloperName"],
            record["NamespacePrefix"],
            key_prefix,
            record["_label"],
            record["_plural_label"],
            record,
        )

    def _entity(self, durable_id, api_name, developer_name, namespace, key_prefix,
                label, plural, source=None):  # fmt: skip
        audit = source or {}
        return {
            "attributes": {"type": "EntityDefinition"},
            # Salesforce answers this fixed placeholder for every row's Id.
            "Id": "000000000000000AAA",
            "DurableId": durable_id,
            "QualifiedApiName": api_name,
            "DeveloperName": developer_name,
            "NamespacePrefix": namespace,
            "KeyPrefix": key_prefix,
            "Label": label,
            "MasterLabel": label,
            "PluralLabel": plural,
            "IsCustomizable": True,
            "IsCustomSetting": False,
            "IsQueryable": True,
            "CreatedDate": audit.get("CreatedDate"),
            "CreatedById": audit.get("CreatedById"),
            "LastModifiedDate": audit.get("LastModifiedDate"),
            "LastModifiedById": audit.get("LastModifiedById"),
            "SystemModstamp": audit.get("SystemModstamp"),
        }


@dataclass
class App:
    name: str
    client_id: str
    client_secret: str
    redirect_uris: list
    installed_in: list
    rotate_refresh_tokens: bool
    require_secret: bool
    scopes: list

    @property
    def signing_key(self):
        # Every connected app has a consumer secret even when the flow does
        # not require it; a public app still gets a signature, made with a
        # secret the client cannot know.
        return self.client_secret or f"emulator-secret-{self.client_id}"


@dataclass
class AuthorizationCode:
    code: str
    app: App
    user: User
    redirect_uri: str
    scopes: list
    code_challenge: str
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """One authorization: a refresh-token family and its access tokens."""

    app: App
    user: User
    scopes: list
    created_at: float
    refresh_token: str = None
    dead_refresh_tokens: set = field(default_factory=set)
    in_flight: set = field(default_factory=set)
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    issued_at: float
    expires_at: float
    revoked: bool = False

    @property
    def user(self):
        return self.grant.user

    @property
    def org(self):
        return self.grant.user.org

    @property
    def app(self):
        return self.grant.app

    def is_valid(self, moment):
        return not self.revoked and not self.grant.revoked and moment < self.expires_at


@dataclass
class Fault:
    count: int
    kind: str
    org: str = None
    endpoint: str = None

    def matches(self, org_alias, endpoint):
        org_ok = self.org is None or self.org == org_alias
        return org_ok and (self.endpoint is None or self.endpoint == endpoint)


@dataclass
class QueryLocator:
    locator: str
    plan: object
    records: list
    batch_size: int
    tooling: bool
    user_id: str
    last_used: float


class EmulatorState:
    """All mutable state of one emulator."""

    def __init__(self, config):
        self.lock = threading.RLock()
        self.settings = config["settings"]
        self.orgs = {org["alias"]: Org(org, self.settings) for org in config["orgs"]}
        self.apps = {app["client_id"]: App(**app) for app in config["apps"]}
        self.paths = {org.instance_path: org for org in self.orgs.values()}
        self.codes = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.grants = []
        self.faults = []
        self.requests = []
        self._locator_counter = 0

    def app_named(self, name_or_client_id):
        for app in self.apps.values():
            if name_or_client_id in (app.name, app.client_id):
                return app
        raise KeyError(f"no app named {name_or_client_id!r}")

    def org(self, alias):
        try:
            return self.orgs[alias]
        except KeyError:
            raise KeyError(f"no org with alias {alias!r}") from None

    def find_user(self, username, org=None):
        wanted = username.strip().lower()
        orgs = [org] if org else self.orgs.values()
        for candidate_org in orgs:
            for user in candidate_org.users:
                if user.username.lower() == wanted:
                    return user
        return None

    def user_for_identity(self, org_id, user_id_value):
        for org in self.orgs.values():
            if org.org_id[:15] == org_id[:15]:
                return org.user_by_id(user_id_value)
        return None

    # Tokens

    def issue_access_token(self, grant):
        moment = now()
        token = f"{grant.user.org.org_id[:15]}!AQ{random_token(94)}"
        access = AccessToken(
            token=token,
            grant=grant,
            issued_at=moment,
            expires_at=moment + self.settings["access_token_ttl_seconds"],
        )
        self.access_tokens[token] = access
        return access

    def new_grant(self, app, user, scopes):
        grant = Grant(app=app, user=user, scopes=scopes, created_at=now())
        if "refresh_token" in scopes or "offline_access" in scopes:
            live = [
                other
                for other in self.grants
                if other.app is app
                and other.user is user
                and not other.revoked
                and other.refresh_token
            ]
            # A sixth authorization of the same user and app revokes the
            # oldest grant.
            while len(live) >= self.settings["max_refresh_tokens_per_user"]:
                self.revoke_grant(live.pop(0))
            grant.refresh_token = self.new_refresh_token(grant)
        self.grants.append(grant)
        return grant

    def new_refresh_token(self, grant):
        token = f"5Aep861{random_token(80)}"
        self.refresh_tokens[token] = grant
        return token

    def revoke_grant(self, grant):
        grant.revoked = True

    def valid_access_token(self, token):
        access = self.access_tokens.get(token)
        if access is None or not access.is_valid(now()):
            return None
        return access

    def expire_access_tokens(self, org_alias=None):
        moment = now()
        for access in self.access_tokens.values():
            if org_alias is None or access.org.alias == org_alias:
                access.expires_at = min(access.expires_at, moment)

    def revoke_refresh_token(self, token):
        grant = self.refresh_tokens.get(token)
        if grant is None:
            return False
        self.revoke_grant(grant)
        return True

    # Faults and the request log

    def add_fault(self, count, kind, org=None, endpoint=None):
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if org is not None:
            self.org(org)
        self.faults.append(Fault(count, kind, org, endpoint))

    def take_fault(self, org_alias, endpoint):
        for fault in self.faults:
            if fault.count > 0 and fault.matches(org_alias, endpoint):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    # Query locators

    def new_locator(self, org, plan, records, batch_size, tooling, user_id_value):
        self._locator_counter += 1
        locator = stable_id(
            "01g", org.org_id, "QueryLocator", str(self._locator_counter)
        )
        mine = [item for item in org.locators.values() if item.user_id == user_id_value]
        # Salesforce keeps a few open cursors per user and drops the oldest.
        while len(mine) >= self.settings["max_query_cursors_per_user"]:
            oldest = min(mine, key=lambda item: item.last_used)
            mine.remove(oldest)
            del org.locators[oldest.locator]
        org.locators[locator] = QueryLocator(
            locator, plan, records, batch_size, tooling, user_id_value, now()
        )
        return locator

    def find_locator(self, org, locator, tooling):
        item = org.locators.get(locator)
        if item is None or item.tooling != tooling:
            return None
        moment = now()
        if moment - item.last_used > self.settings["query_locator_ttl_seconds"]:
            del org.locators[locator]
            return None
        item.last_used = moment
        return item


def identity_ids(user):
    return to_18(user.org.org_id), to_18(user.id)
