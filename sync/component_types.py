"""
The kinds of metadata Ferry reads from an org, one declarative entry each.

An entry says which Tooling object to query, which columns to read, how the
component's API name is built and whether its source is hashed. Adding a type
is adding an entry to ``COMPONENT_TYPES``; ``sync.fetch`` reads them all the
same way. Entries that name components after an object (triggers, fields)
come after ``CustomObject`` so custom object ids are already resolved.
"""

from dataclasses import dataclass
from enum import Enum

# Columns every listed Tooling object has. FullName and Metadata are never
# listed: Salesforce only serves them on queries returning a single row.
COMMON_FIELDS = (
    "Id",
    "NamespacePrefix",
    "ManageableState",
    "CreatedDate",
    "LastModifiedDate",
    "LastModifiedById",
    "LastModifiedBy.Name",
)


class Naming(Enum):
    # ``ns__Name``: classes, pages, bundles, flows, static resources.
    QUALIFIED = "qualified"
    # EntityDefinition.QualifiedApiName, which carries namespace and suffix.
    ENTITY = "entity"
    # ``Object.ns__Field__c`` with the object resolved from TableEnumOrId.
    FIELD = "field"


@dataclass(frozen=True)
class ComponentType:
    # The Metadata API type name, stored on Component.type.
    name: str
    label: str
    tooling_object: str
    name_field: str
    fields: tuple[str, ...] = ()
    naming: Naming = Naming.QUALIFIED
    label_field: str = ""
    # Long text whose SHA-256 tells versions apart; read but not stored.
    source_field: str = ""
    # Column naming the object a component belongs to.
    parent_field: str = ""
    status_field: str = ""
    # For flows: active when this column holds a version id.
    active_version_field: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        named = (
            self.name_field,
            self.label_field,
            self.source_field,
            self.parent_field,
            self.status_field,
            self.active_version_field,
        )
        columns = [*COMMON_FIELDS]
        for column in (*named, *self.fields):
            if column and column not in columns:
                columns.append(column)
        return tuple(columns)

    @property
    def soql(self) -> str:
        # Built from the constants above only, never from user input.
        return f"SELECT {', '.join(self.columns)} FROM {self.tooling_object}"  # noqa: S608


COMPONENT_TYPES = (
    ComponentType(
        name="ApexClass",
        label="Apex classes",
        tooling_object="ApexClass",
        name_field="Name",
        fields=("ApiVersion", "IsValid", "LengthWithoutComments"),
        source_field="Body",
        status_field="Status",
    ),
    ComponentType(
        name="ApexPage",
        label="Visualforce pages",
        tooling_object="ApexPage",
        name_field="Name",
        fields=("ApiVersion", "ControllerType", "ControllerKey", "Description"),
        label_field="MasterLabel",
        source_field="Markup",
    ),
    ComponentType(
        name="ApexComponent",
        label="Visualforce components",
        tooling_object="ApexComponent",
        name_field="Name",
        fields=("ApiVersion", "ControllerType", "Description"),
        label_field="MasterLabel",
        source_field="Markup",
    ),
    ComponentType(
        name="LightningComponentBundle",
        label="Lightning web components",
        tooling_object="LightningComponentBundle",
        name_field="DeveloperName",
        fields=("ApiVersion", "IsExposed", "Description"),
        label_field="MasterLabel",
    ),
    ComponentType(
        name="AuraDefinitionBundle",
        label="Aura components",
        tooling_object="AuraDefinitionBundle",
        name_field="DeveloperName",
        fields=("ApiVersion", "Description"),
        label_field="MasterLabel",
    ),
    ComponentType(
        name="CustomObject",
        label="Custom objects",
        tooling_object="CustomObject",
        name_field="DeveloperName",
        fields=("Description",),
        naming=Naming.ENTITY,
    ),
    ComponentType(
        name="ApexTrigger",
        label="Apex triggers",
        tooling_object="ApexTrigger",
        name_field="Name",
        fields=("ApiVersion", "IsValid"),
        source_field="Body",
        parent_field="TableEnumOrId",
        status_field="Status",
    ),
    ComponentType(
        name="CustomField",
        label="Custom fields",
        tooling_object="CustomField",
        name_field="DeveloperName",
        fields=("Description", "Length", "Precision", "Scale", "InlineHelpText"),
        naming=Naming.FIELD,
        parent_field="TableEnumOrId",
    ),
    ComponentType(
        name="Flow",
        label="Flows",
        tooling_object="FlowDefinition",
        name_field="DeveloperName",
        fields=("LatestVersionId", "Description"),
        label_field="MasterLabel",
        active_version_field="ActiveVersionId",
    ),
    ComponentType(
        name="StaticResource",
        label="Static resources",
        tooling_object="StaticResource",
        name_field="Name",
        fields=("ContentType", "CacheControl", "BodyLength", "Description"),
    ),
)

BY_NAME = {component_type.name: component_type for component_type in COMPONENT_TYPES}
CHOICES = [
    (component_type.name, component_type.label) for component_type in COMPONENT_TYPES
]


def get(name: str) -> ComponentType:
    return BY_NAME[name]


def label_for(name: str) -> str:
    component_type = BY_NAME.get(name)
    return component_type.label if component_type else name
