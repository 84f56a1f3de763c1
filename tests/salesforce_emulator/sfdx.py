"""Read an SFDX source-format project into component specs.

Only the folder names matter, not their depth, so ``force-app/main/default``
and any other layout under a package directory both work.
"""

import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .components import is_custom_object

METADATA_NAMESPACE = "{http://soap.sforce.com/2006/04/metadata}"
TRIGGER_HEADER = re.compile(
    r"\btrigger\s+(\w+)\s+on\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE
)
TRIGGER_EVENTS = {
    "before insert": "UsageBeforeInsert",
    "after insert": "UsageAfterInsert",
    "before update": "UsageBeforeUpdate",
    "after update": "UsageAfterUpdate",
    "before delete": "UsageBeforeDelete",
    "after delete": "UsageAfterDelete",
    "after undelete": "UsageAfterUndelete",
}
AURA_KINDS = ("cmp", "app", "evt", "intf", "tokens")


class SfdxError(ValueError):
    """A project that cannot be read."""


_cache = {}


def load_sfdx_project(project_dir):
    """Return {tooling type: [spec, ...]} for every component in the project.

    Results are cached until a file under the project changes, since every
    test builds a fresh emulator from the same sample projects.
    """
    project_dir = Path(project_dir).resolve()
    signature = _signature(project_dir)
    cached = _cache.get(project_dir)
    if cached is None or cached[0] != signature:
        cached = (signature, _read_project(project_dir))
        _cache[project_dir] = cached
    # Specs are only read, never changed, so sharing them is safe.
    return {tooling_type: list(specs) for tooling_type, specs in cached[1].items()}


def _signature(project_dir):
    entries = []
    for folder, _, names in os.walk(project_dir):
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            entries.append((folder, name, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))


def _read_project(project_dir):
    try:
        project = json.loads((project_dir / "sfdx-project.json").read_text())
        package_dirs = [entry["path"] for entry in project["packageDirectories"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SfdxError(
            f"{project_dir}: unreadable sfdx-project.json: {error}"
        ) from error

    specs = {}
    for package_dir in package_dirs:
        root = project_dir / package_dir
        for reader in READERS:
            for tooling_type, spec in reader(root):
                specs.setdefault(tooling_type, []).append(spec)
    return specs


def _files(root, folder, suffix):
    return sorted(
        path for path in root.rglob(f"*{suffix}") if path.parent.name == folder
    )


def _meta(path):
    """Return the text of each direct child of a -meta.xml file, by tag."""
    try:
        # Only local project files are parsed, never data from a network.
        element = ElementTree.parse(path).getroot()  # noqa: S314
    except (OSError, ElementTree.ParseError) as error:
        raise SfdxError(f"{path}: {error}") from error
    values = {}
    for child in element:
        tag = child.tag.removeprefix(METADATA_NAMESPACE)
        values.setdefault(tag, (child.text or "").strip())
    return values


def _api_version(meta):
    return float(meta["apiVersion"]) if meta.get("apiVersion") else None


def _bool(text):
    return text == "true"


def _drop_none(spec):
    return {key: value for key, value in spec.items() if value is not None}


def _read_classes(root):
    for path in _files(root, "classes", ".cls"):
        meta = _meta(path.with_name(path.name + "-meta.xml"))
        yield (
            "ApexClass",
            _drop_none(
                {
                    "Name": path.stem,
                    "Body": path.read_text(),
                    "ApiVersion": _api_version(meta),
                    "Status": meta.get("status"),
                }
            ),
        )


def _read_triggers(root):
    for path in _files(root, "triggers", ".trigger"):
        meta = _meta(path.with_name(path.name + "-meta.xml"))
        body = path.read_text()
        header = TRIGGER_HEADER.search(body)
        if header is None:
            raise SfdxError(f"{path}: no 'trigger Name on Object (...)' header")
        events = {" ".join(event.lower().split()) for event in header[3].split(",")}
        spec = {
            "Name": path.stem,
            "Body": body,
            "TableEnumOrId": header[2],
            "ApiVersion": _api_version(meta),
            "Status": meta.get("status"),
        }
        for event, field in TRIGGER_EVENTS.items():
            spec[field] = event in events
        yield "ApexTrigger", _drop_none(spec)


def _visualforce_reader(folder, suffix, tooling_type):
    def read(root):
        for path in _files(root, folder, suffix):
            meta = _meta(path.with_name(path.name + "-meta.xml"))
            markup = path.read_text()
            controller = re.search(r'\b(standardController|controller)="(\w+)"', markup)
            spec = {
                "Name": path.stem,
                "MasterLabel": meta.get("label") or meta.get("masterLabel"),
                "Markup": markup,
                "ApiVersion": _api_version(meta),
                "Description": meta.get("description"),
            }
            if controller:
                standard = controller[1] == "standardController"
                spec["ControllerType"] = "1" if standard else "3"
                spec["ControllerKey"] = controller[2]
            yield tooling_type, _drop_none(spec)

    return read


def _read_lwc(root):
    for meta_path in sorted(root.rglob("*.js-meta.xml")):
        bundle = meta_path.parent
        if (
            bundle.parent.name != "lwc"
            or meta_path.name != f"{bundle.name}.js-meta.xml"
        ):
            continue
        meta = _meta(meta_path)
        yield (
            "LightningComponentBundle",
            _drop_none(
                {
                    "DeveloperName": bundle.name,
                    "MasterLabel": meta.get("masterLabel"),
                    "ApiVersion": _api_version(meta),
                    "IsExposed": _bool(meta.get("isExposed")),
                    "Description": meta.get("description"),
                }
            ),
        )


def _read_aura(root):
    for bundle in sorted(root.rglob("aura/*")):
        if not bundle.is_dir():
            continue
        metas = [bundle / f"{bundle.name}.{kind}-meta.xml" for kind in AURA_KINDS]
        existing = [path for path in metas if path.is_file()]
        if not existing:
            continue
        meta = _meta(existing[0])
        yield (
            "AuraDefinitionBundle",
            _drop_none(
                {
                    "DeveloperName": bundle.name,
                    "ApiVersion": _api_version(meta),
                    "Description": meta.get("description"),
                }
            ),
        )


def _read_objects(root):
    for object_dir in sorted(root.rglob("objects/*")):
        if not object_dir.is_dir():
            continue
        object_name = object_dir.name
        meta_path = object_dir / f"{object_name}.object-meta.xml"
        if is_custom_object(object_name) and meta_path.is_file():
            meta = _meta(meta_path)
            yield (
                "CustomObject",
                _drop_none(
                    {
                        "FullName": object_name,
                        "Description": meta.get("description"),
                        "_label": meta.get("label"),
                        "_plural_label": meta.get("pluralLabel"),
                    }
                ),
            )
        for path in _files(object_dir, "fields", ".field-meta.xml"):
            field_name = path.name.removesuffix(".field-meta.xml")
            # Standard fields have source files too, but no CustomField row.
            if not field_name.endswith("__c"):
                continue
            meta = _meta(path)
            yield (
                "CustomField",
                _drop_none(
                    {
                        "FullName": f"{object_name}.{field_name}",
                        "Description": meta.get("description"),
                        "InlineHelpText": meta.get("inlineHelpText"),
                        "Length": _int(meta.get("length")),
                        "Precision": _int(meta.get("precision")),
                        "Scale": _int(meta.get("scale")),
                    }
                ),
            )
        for path in _files(object_dir, "validationRules", ".validationRule-meta.xml"):
            meta = _meta(path)
            rule_name = path.name.removesuffix(".validationRule-meta.xml")
            yield (
                "ValidationRule",
                _drop_none(
                    {
                        "FullName": f"{object_name}.{rule_name}",
                        "Active": _bool(meta.get("active")),
                        "ErrorMessage": meta.get("errorMessage"),
                        "ErrorDisplayField": meta.get("errorDisplayField"),
                        "Description": meta.get("description"),
                    }
                ),
            )


def _int(text):
    return int(text) if text else None


def _read_flows(root):
    for path in _files(root, "flows", ".flow-meta.xml"):
        meta = _meta(path)
        version = _drop_none(
            {
                "Status": meta.get("status") or "Draft",
                "ProcessType": meta.get("processType"),
                "ApiVersion": _api_version(meta),
            }
        )
        yield (
            "FlowDefinition",
            _drop_none(
                {
                    "DeveloperName": path.name.removesuffix(".flow-meta.xml"),
                    "MasterLabel": meta.get("label"),
                    "Description": meta.get("description"),
                    "Versions": [version],
                }
            ),
        )


def _read_static_resources(root):
    for meta_path in _files(root, "staticresources", ".resource-meta.xml"):
        name = meta_path.name.removesuffix(".resource-meta.xml")
        meta = _meta(meta_path)
        body_paths = [
            path
            for path in meta_path.parent.glob(f"{name}*")
            if path != meta_path and path.name.split(".")[0] == name
        ]
        size = 0
        for body_path in body_paths:
            files = body_path.rglob("*") if body_path.is_dir() else [body_path]
            size += sum(file.stat().st_size for file in files if file.is_file())
        yield (
            "StaticResource",
            _drop_none(
                {
                    "Name": name,
                    "ContentType": meta.get("contentType"),
                    "CacheControl": meta.get("cacheControl"),
                    "Description": meta.get("description"),
                    "BodyLength": size,
                }
            ),
        )


def _read_labels(root):
    for path in _files(root, "labels", ".labels-meta.xml"):
        try:
            element = ElementTree.parse(path).getroot()  # noqa: S314
        except ElementTree.ParseError as error:
            raise SfdxError(f"{path}: {error}") from error
        for label in element.iter(f"{METADATA_NAMESPACE}labels"):
            values = {
                child.tag.removeprefix(METADATA_NAMESPACE): (child.text or "").strip()
                for child in label
            }
            yield (
                "ExternalString",
                _drop_none(
                    {
                        "Name": values.get("fullName"),
                        "MasterLabel": values.get("shortDescription"),
                        "Value": values.get("value"),
                        "Category": values.get("categories"),
                        "Language": values.get("language"),
                        "IsProtected": _bool(values.get("protected")),
                    }
                ),
            )


READERS = (
    _read_classes,
    _read_triggers,
    _visualforce_reader("pages", ".page", "ApexPage"),
    _visualforce_reader("components", ".component", "ApexComponent"),
    _read_lwc,
    _read_aura,
    _read_objects,
    _read_flows,
    _read_static_resources,
    _read_labels,
)
