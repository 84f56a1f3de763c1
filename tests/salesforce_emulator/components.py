"""Tooling API object schemas and turning component specs into records.

A spec is the dict a config file, the SFDX loader or a test gives: the
fields Salesforce would show, maybe incomplete, plus ``FullName`` as a
shortcut (``ns__Invoice__c``, ``Account.Region__c``). A record is what the
query engine serves: every field of its schema, ids and audit fields set.
Keys starting with ``_`` are the emulator's own and are never served.
"""

import functools
import re
import zlib
from datetime import UTC, datetime, timedelta

from .ids import (
    KEY_PREFIXES,
    component_digest,
    component_id,
    id_from_digest,
    stable_id,
)

CUSTOM_SUFFIXES = ("c", "mdt", "e", "b", "x")
DEFAULT_API_VERSION = 65.0
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.000+0000"

STANDARD_OBJECTS = {
    # API name: (key prefix, label, plural label)
    "Account": ("001", "Account", "Accounts"),
    "Contact": ("003", "Contact", "Contacts"),
    "Opportunity": ("006", "Opportunity", "Opportunities"),
    "Lead": ("00Q", "Lead", "Leads"),
    "Case": ("500", "Case", "Cases"),
}

AUDIT_FIELDS = {
    "Id": "id",
    "CreatedDate": "datetime",
    "CreatedById": "reference",
    "LastModifiedDate": "datetime",
    "LastModifiedById": "reference",
    "SystemModstamp": "datetime",
}
PACKAGING_FIELDS = {"NamespacePrefix": "string", "ManageableState": "string"}
USER_RELATIONSHIPS = {
    "CreatedBy": ("CreatedById", "User"),
    "LastModifiedBy": ("LastModifiedById", "User"),
}


class ObjectSchema:
    """The columns and lookups of one queryable object."""

    def __init__(self, name, fields, relationships=None, name_field=None):
        self.name = name
        self.fields = {**AUDIT_FIELDS, **fields}
        self.relationships = {**USER_RELATIONSHIPS, **(relationships or {})}
        self.name_field = name_field
        self._by_lower = {field.lower(): field for field in self.fields}
        self._relationships_by_lower = {
            relationship.lower(): relationship for relationship in self.relationships
        }

    def add_fields(self, fields):
        self.fields.update(fields)
        self._by_lower.update({field.lower(): field for field in fields})

    def field(self, name):
        """Return the field's canonical spelling, or None if there is none."""
        return self._by_lower.get(name.lower())

    def relationship(self, name):
        return self._relationships_by_lower.get(name.lower())

    def is_long_text(self, field):
        return self.fields.get(field) == "long"


def _component(name, fields, relationships=None, name_field="Name"):
    return ObjectSchema(name, {**PACKAGING_FIELDS, **fields}, relationships, name_field)


APEX_CODE_FIELDS = {
    "Body": "long",
    "ApiVersion": "double",
    "Status": "string",
    "IsValid": "boolean",
    "LengthWithoutComments": "int",
    "BodyCrc": "double",
}
TRIGGER_USAGE_FIELDS = {
    f"Usage{event}": "boolean"
    for event in (
        "BeforeInsert",
        "AfterInsert",
        "BeforeUpdate",
        "AfterUpdate",
        "BeforeDelete",
        "AfterDelete",
        "AfterUndelete",
        "IsBulk",
    )
}
VISUALFORCE_FIELDS = {
    "MasterLabel": "string",
    "Markup": "long",
    "ApiVersion": "double",
    "ControllerType": "string",
    "ControllerKey": "string",
    "Description": "string",
}
ENTITY_RELATIONSHIP = {"EntityDefinition": ("EntityDefinitionId", "EntityDefinition")}
SINGLE_ROW_FIELDS = {"FullName": "single_row", "Metadata": "single_row"}

COMPONENT_SCHEMAS = {
    schema.name: schema
    for schema in (
        _component("ApexClass", {"Name": "string", **APEX_CODE_FIELDS}),
        _component(
            "ApexTrigger",
            {
                "Name": "string",
                "TableEnumOrId": "string",
                "EntityDefinitionId": "reference",
                **APEX_CODE_FIELDS,
                **TRIGGER_USAGE_FIELDS,
            },
            ENTITY_RELATIONSHIP,
        ),
        _component("ApexPage", {"Name": "string", **VISUALFORCE_FIELDS}),
        _component("ApexComponent", {"Name": "string", **VISUALFORCE_FIELDS}),
        _component(
            "LightningComponentBundle",
            {
                "DeveloperName": "string",
                "MasterLabel": "string",
                "ApiVersion": "double",
                "IsExposed": "boolean",
                "Description": "string",
                "TargetConfigs": "string",
                "Language": "string",
            },
            name_field="DeveloperName",
        ),
        _component(
            "AuraDefinitionBundle",
            {
                "DeveloperName": "string",
                "MasterLabel": "string",
                "ApiVersion": "double",
                "Description": "string",
                "Language": "string",
            },
            name_field="DeveloperName",
        ),
        _component(
            "CustomObject",
            {
                "DeveloperName": "string",
                "ExternalName": "string",
                "ExternalRepository": "string",
                "Description": "string",
                "CustomHelpId": "reference",
            },
            name_field="DeveloperName",
        ),
        _component(
            "CustomField",
            {
                "DeveloperName": "string",
                "TableEnumOrId": "string",
                "EntityDefinitionId": "reference",
                "Description": "string",
                "Length": "int",
                "Precision": "int",
                "Scale": "int",
                "InlineHelpText": "string",
            },
            ENTITY_RELATIONSHIP,
            name_field="DeveloperName",
        ),
        _component(
            "FlowDefinition",
            {
                "DeveloperName": "string",
                "MasterLabel": "string",
                "ActiveVersionId": "reference",
                "LatestVersionId": "reference",
                "Description": "string",
            },
            {
                "ActiveVersion": ("ActiveVersionId", "Flow"),
                "LatestVersion": ("LatestVersionId", "Flow"),
            },
            name_field="DeveloperName",
        ),
        _component(
            "Flow",
            {
                "DefinitionId": "reference",
                "MasterLabel": "string",
                "VersionNumber": "int",
                "Status": "string",
                "ProcessType": "string",
                "ApiVersion": "double",
                "Description": "string",
            },
            {"Definition": ("DefinitionId", "FlowDefinition")},
            name_field=None,
        ),
        _component(
            "StaticResource",
            {
                "Name": "string",
                "ContentType": "string",
                "CacheControl": "string",
                "BodyLength": "int",
                "Description": "string",
                "Body": "string",
            },
        ),
        _component(
            "ValidationRule",
            {
                "ValidationName": "string",
                "Active": "boolean",
                "EntityDefinitionId": "reference",
                "ErrorMessage": "string",
                "ErrorDisplayField": "string",
                "Description": "string",
            },
            ENTITY_RELATIONSHIP,
            name_field="ValidationName",
        ),
        _component(
            "ExternalString",
            {
                "Name": "string",
                "MasterLabel": "string",
                "Value": "string",
                "Category": "string",
                "Language": "string",
                "IsProtected": "boolean",
            },
        ),
    )
}
for _schema in COMPONENT_SCHEMAS.values():
    _schema.add_fields(SINGLE_ROW_FIELDS)

ENTITY_DEFINITION_SCHEMA = ObjectSchema(
    "EntityDefinition",
    {
        "DurableId": "string",
        "QualifiedApiName": "string",
        "DeveloperName": "string",
        "NamespacePrefix": "string",
        "KeyPrefix": "string",
        "Label": "string",
        "MasterLabel": "string",
        "PluralLabel": "string",
        "IsCustomizable": "boolean",
        "IsCustomSetting": "boolean",
        "IsQueryable": "boolean",
    },
    name_field="QualifiedApiName",
)
USER_SCHEMA = ObjectSchema(
    "User",
    {
        "Username": "string",
        "Name": "string",
        "FirstName": "string",
        "LastName": "string",
        "Email": "string",
        "IsActive": "boolean",
        "UserType": "string",
        "TimeZoneSidKey": "string",
        "LocaleSidKey": "string",
        "LanguageLocaleKey": "string",
    },
    name_field="Username",
)
ORGANIZATION_SCHEMA = ObjectSchema(
    "Organization",
    {
        "Name": "string",
        "OrganizationType": "string",
        "IsSandbox": "boolean",
        "InstanceName": "string",
        "NamespacePrefix": "string",
        "TrialExpirationDate": "datetime",
        "PrimaryContact": "string",
        "Country": "string",
        "LanguageLocaleKey": "string",
        "TimeZoneSidKey": "string",
        "DefaultLocaleSidKey": "string",
    },
    name_field="Name",
)

TOOLING_SCHEMAS = {
    **COMPONENT_SCHEMAS,
    "EntityDefinition": ENTITY_DEFINITION_SCHEMA,
    "User": USER_SCHEMA,
    "Organization": ORGANIZATION_SCHEMA,
}
REST_SCHEMAS = {
    "EntityDefinition": ENTITY_DEFINITION_SCHEMA,
    "User": USER_SCHEMA,
    "Organization": ORGANIZATION_SCHEMA,
}


class ComponentError(ValueError):
    """A component spec that does not describe a valid record."""


def split_namespace(name):
    """Split ``ns__Name`` or ``ns__Name__c`` into (namespace, rest)."""
    parts = name.split("__")
    if len(parts) == 3 or (len(parts) == 2 and parts[1] not in CUSTOM_SUFFIXES):
        return parts[0], "__".join(parts[1:])
    return None, name


def split_custom_name(api_name):
    """Return (namespace, developer name, suffix) of a custom entity or field."""
    namespace, rest = split_namespace(api_name)
    developer_name, _, suffix = rest.rpartition("__")
    if not developer_name or suffix not in CUSTOM_SUFFIXES:
        return None
    return namespace, developer_name, suffix


def custom_api_name(namespace, developer_name, suffix):
    prefix = f"{namespace}__" if namespace else ""
    return f"{prefix}{developer_name}__{suffix}"


def is_custom_object(api_name):
    return split_custom_name(api_name) is not None


def format_datetime(moment):
    return moment.astimezone(UTC).strftime(DATETIME_FORMAT)


def now_string():
    return format_datetime(datetime.now(UTC))


@functools.cache
def _hour_string(hours):
    moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H")


def _stable_dates(digest):
    """Derive a created and a later modified timestamp from hash bytes.

    Spread over 2025 so ordering by date means something; built from cached
    hour strings because big synthetic orgs make this a hot path.
    """
    created_hours = int.from_bytes(digest[12:14], "big") % (300 * 24)
    modified_hours = created_hours + 1 + int.from_bytes(digest[14:16], "big") % 1440
    minute, second = digest[16] % 60, digest[17] % 60
    return (
        f"{_hour_string(created_hours)}:{minute:02d}:{second:02d}.000+0000",
        f"{_hour_string(modified_hours)}:{second:02d}:{minute:02d}.000+0000",
    )


def strip_apex_comments(body):
    without_blocks = re.sub(r"/\*.*?\*/", "", body, flags=re.DOTALL)
    without_lines = re.sub(r"//[^\n]*", "", without_blocks)
    return re.sub(r"\s+", "", without_lines)


class ComponentBuilder:
    """Turn specs into records for one org.

    ``object_id`` maps a custom object's API name to its ``01I`` id; ids are
    stable, so an object's id is known before (or without) its record.
    """

    def __init__(self, org_id, default_user_id):
        self.org_id = org_id
        self.default_user_id = default_user_id

    def object_id(self, api_name):
        return component_id(self.org_id, "CustomObject", api_name)

    def entity_durable_id(self, api_name):
        """Return the EntityDefinition DurableId: an 01I id or a standard name."""
        return self.object_id(api_name) if is_custom_object(api_name) else api_name

    def build(self, tooling_type, spec, resolve_object=None):
        """Return the records one spec describes (a flow gives several)."""
        if tooling_type not in COMPONENT_SCHEMAS:
            raise ComponentError(f"{tooling_type!r} is not a supported Tooling type")
        schema = COMPONENT_SCHEMAS[tooling_type]
        fields = dict(spec)
        versions = (
            fields.pop("Versions", None) if tooling_type == "FlowDefinition" else None
        )
        full_name = fields.pop("FullName", None)
        record = {"attributes": {"type": tooling_type}}

        if tooling_type == "CustomObject":
            self._name_custom_object(record, fields, full_name)
        elif tooling_type == "CustomField":
            self._name_custom_field(record, fields, full_name, resolve_object)
        elif tooling_type == "ValidationRule":
            self._name_validation_rule(record, fields, full_name, resolve_object)
        elif tooling_type == "Flow":
            raise ComponentError("add a FlowDefinition with Versions instead of a Flow")
        else:
            self._name_simple(record, schema, fields, full_name)

        if tooling_type == "ApexTrigger" and fields.get("TableEnumOrId"):
            # The facts file gives TableEnumOrId as the object's API name;
            # EntityDefinitionId is its DurableId (01I id when custom).
            object_name = fields["TableEnumOrId"]
            fields.setdefault("EntityDefinitionId", self.entity_durable_id(object_name))
        for key, value in fields.items():
            if not key.startswith("_") and schema.field(key) != key:
                raise ComponentError(f"{tooling_type} has no field {key!r}")
            record[key] = value
        self._fill_defaults(record, tooling_type)

        if tooling_type == "FlowDefinition":
            return [record, *self._flow_versions(record, versions)]
        return [record]

    def _name_simple(self, record, schema, fields, full_name):
        name_field = schema.name_field
        if full_name is not None:
            namespace, name = split_namespace(full_name)
            fields.setdefault("NamespacePrefix", namespace)
            fields.setdefault(name_field, name)
        name = fields.get(name_field)
        if not name:
            raise ComponentError(f"{schema.name} needs {name_field} or FullName")
        namespace = fields.get("NamespacePrefix")
        record["_full_name"] = f"{namespace}__{name}" if namespace else name

    def _name_custom_object(self, record, fields, full_name):
        if full_name is None:
            developer_name = fields.get("DeveloperName")
            if not developer_name:
                raise ComponentError("CustomObject needs DeveloperName or FullName")
            full_name = custom_api_name(
                fields.get("NamespacePrefix"),
                developer_name,
                fields.pop("_suffix", "c"),
            )
        parts = split_custom_name(full_name)
        if parts is None:
            raise ComponentError(f"{full_name!r} is not a custom object name")
        namespace, developer_name, suffix = parts
        fields.setdefault("NamespacePrefix", namespace)
        fields["DeveloperName"] = developer_name
        record["_full_name"] = full_name
        record["_suffix"] = suffix
        record["_label"] = fields.pop("_label", developer_name.replace("_", " "))
        record["_plural_label"] = fields.pop("_plural_label", record["_label"] + "s")

    def _name_custom_field(self, record, fields, full_name, resolve_object):
        if full_name is not None:
            object_name, _, field_name = full_name.partition(".")
            parts = split_custom_name(field_name)
            if not object_name or parts is None or parts[2] != "c":
                raise ComponentError(f"{full_name!r} is not Object.Field__c")
            fields.setdefault("NamespacePrefix", parts[0])
            fields["DeveloperName"] = parts[1]
            fields["TableEnumOrId"] = object_name
        object_name = self._object_name(fields, "CustomField", resolve_object)
        developer_name = fields.get("DeveloperName")
        if not developer_name:
            raise ComponentError("CustomField needs DeveloperName or FullName")
        field_name = custom_api_name(fields.get("NamespacePrefix"), developer_name, "c")
        record["_object"] = object_name
        record["_full_name"] = f"{object_name}.{field_name}"

    def _name_validation_rule(self, record, fields, full_name, resolve_object):
        if full_name is not None:
            object_name, _, rule_name = full_name.partition(".")
            fields["TableEnumOrId"] = object_name
            fields.setdefault("ValidationName", rule_name)
        object_name = self._object_name(fields, "ValidationRule", resolve_object)
        fields.pop("TableEnumOrId", None)
        rule_name = fields.get("ValidationName")
        if not rule_name:
            raise ComponentError("ValidationRule needs ValidationName or FullName")
        record["_object"] = object_name
        record["_full_name"] = f"{object_name}.{rule_name}"

    def _object_name(self, fields, tooling_type, resolve_object):
        """Set TableEnumOrId/EntityDefinitionId and return the object's name."""
        table = fields.get("TableEnumOrId") or fields.get("_object")
        fields.pop("_object", None)
        if not table:
            raise ComponentError(f"{tooling_type} needs TableEnumOrId or FullName")
        if table.startswith(KEY_PREFIXES["CustomObject"]) and len(table) in (15, 18):
            object_name = resolve_object(table) if resolve_object else None
            if object_name is None:
                raise ComponentError(f"no custom object has id {table!r}")
        else:
            object_name = table
        durable_id = self.entity_durable_id(object_name)
        fields["TableEnumOrId"] = durable_id
        fields["EntityDefinitionId"] = durable_id
        return object_name

    def _fill_defaults(self, record, tooling_type):
        digest = component_digest(self.org_id, tooling_type, record["_full_name"])
        record.setdefault("Id", id_from_digest(KEY_PREFIXES[tooling_type], digest))
        namespace = record.setdefault("NamespacePrefix", None)
        record.setdefault("ManageableState", "installed" if namespace else "unmanaged")
        created, modified = _stable_dates(digest)
        record.setdefault("CreatedDate", created)
        record.setdefault("CreatedById", self.default_user_id)
        record.setdefault("LastModifiedDate", modified)
        record.setdefault("LastModifiedById", self.default_user_id)
        record.setdefault("SystemModstamp", record["LastModifiedDate"])
        TYPE_DEFAULTS.get(tooling_type, _no_defaults)(record)

    def _flow_versions(self, definition, versions):
        if versions is None:
            versions = [{"Status": definition.pop("_status", "Active")}]
        definition.pop("_status", None)
        process_type = definition.pop("_process_type", "AutoLaunchedFlow")
        records = []
        for number, version in enumerate(versions, start=1):
            flow = {
                "attributes": {"type": "Flow"},
                "MasterLabel": definition["MasterLabel"],
                "ProcessType": process_type,
                "ApiVersion": DEFAULT_API_VERSION,
                "Description": definition.get("Description"),
                "VersionNumber": number,
                **version,
            }
            flow["_full_name"] = f"{definition['_full_name']}-{flow['VersionNumber']}"
            flow["DefinitionId"] = definition["Id"]
            for key in ("NamespacePrefix", "ManageableState", "CreatedById"):
                flow.setdefault(key, definition[key])
            flow.setdefault("Id", component_id(self.org_id, "Flow", flow["_full_name"]))
            flow.setdefault("CreatedDate", definition["CreatedDate"])
            flow.setdefault("LastModifiedDate", definition["LastModifiedDate"])
            flow.setdefault("LastModifiedById", definition["LastModifiedById"])
            flow.setdefault("SystemModstamp", flow["LastModifiedDate"])
            flow.setdefault("Status", "Obsolete")
            records.append(flow)
        active = [flow["Id"] for flow in records if flow["Status"] == "Active"]
        definition["ActiveVersionId"] = active[-1] if active else None
        definition["LatestVersionId"] = records[-1]["Id"] if records else None
        return records


def _no_defaults(record):
    pass


def _apex_defaults(record):
    if record.get("Body") is None:
        installed = record["ManageableState"] == "installed"
        # Installed managed package code is never shown.
        record["Body"] = "(hidden)" if installed else ""
    record.setdefault("ApiVersion", DEFAULT_API_VERSION)
    record.setdefault("Status", "Active")
    record.setdefault("IsValid", True)
    body = record["Body"]
    hidden = body == "(hidden)"
    record.setdefault(
        "LengthWithoutComments", -1 if hidden else len(strip_apex_comments(body))
    )
    record.setdefault("BodyCrc", float(zlib.crc32(body.encode())))


def _trigger_defaults(record):
    _apex_defaults(record)
    for field in TRIGGER_USAGE_FIELDS:
        record.setdefault(field, field == "UsageIsBulk")
    record.setdefault("TableEnumOrId", None)
    record.setdefault("EntityDefinitionId", record["TableEnumOrId"])


def _visualforce_defaults(record):
    record.setdefault("MasterLabel", record["Name"])
    record.setdefault("Markup", "")
    record.setdefault("ApiVersion", DEFAULT_API_VERSION)
    record.setdefault("ControllerType", "0")
    record.setdefault("ControllerKey", None)
    record.setdefault("Description", None)


def _bundle_defaults(record):
    record.setdefault("MasterLabel", record["DeveloperName"])
    record.setdefault("ApiVersion", DEFAULT_API_VERSION)
    record.setdefault("Description", None)
    record.setdefault("Language", "en_US")
    if record["attributes"]["type"] == "LightningComponentBundle":
        record.setdefault("IsExposed", False)
        record.setdefault("TargetConfigs", None)


def _custom_object_defaults(record):
    for field in ("ExternalName", "ExternalRepository", "Description", "CustomHelpId"):
        record.setdefault(field, None)


def _custom_field_defaults(record):
    for field in ("Description", "Length", "Precision", "Scale", "InlineHelpText"):
        record.setdefault(field, None)


def _flow_definition_defaults(record):
    record.setdefault("MasterLabel", record["DeveloperName"].replace("_", " "))
    record.setdefault("Description", None)


def _static_resource_defaults(record):
    record.setdefault("ContentType", "application/octet-stream")
    record.setdefault("CacheControl", "Private")
    record.setdefault("BodyLength", 0)
    record.setdefault("Description", None)


def _validation_rule_defaults(record):
    record.setdefault("Active", True)
    record.setdefault("ErrorMessage", "")
    for field in ("ErrorDisplayField", "Description"):
        record.setdefault(field, None)


def _external_string_defaults(record):
    record.setdefault("MasterLabel", record["Name"])
    record.setdefault("Value", "")
    record.setdefault("Category", None)
    record.setdefault("Language", "en_US")
    record.setdefault("IsProtected", False)


TYPE_DEFAULTS = {
    "ApexClass": _apex_defaults,
    "ApexTrigger": _trigger_defaults,
    "ApexPage": _visualforce_defaults,
    "ApexComponent": _visualforce_defaults,
    "LightningComponentBundle": _bundle_defaults,
    "AuraDefinitionBundle": _bundle_defaults,
    "CustomObject": _custom_object_defaults,
    "CustomField": _custom_field_defaults,
    "FlowDefinition": _flow_definition_defaults,
    "StaticResource": _static_resource_defaults,
    "ValidationRule": _validation_rule_defaults,
    "ExternalString": _external_string_defaults,
}


def user_id(org_id, username):
    return stable_id(KEY_PREFIXES["User"], org_id[:15], "User", username.lower())
