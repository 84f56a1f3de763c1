"""Large, deterministic orgs for benchmarks: ``synthetic_components()``."""

import random

# Rough proportions of a busy org's metadata.
TYPE_WEIGHTS = {
    "ApexClass": 30,
    "ApexTrigger": 5,
    "ApexPage": 6,
    "ApexComponent": 3,
    "LightningComponentBundle": 8,
    "AuraDefinitionBundle": 4,
    "CustomObject": 4,
    "CustomField": 30,
    "FlowDefinition": 6,
    "StaticResource": 4,
}
WORDS = [
    "Account", "Invoice", "Order", "Quote", "Case", "Lead", "Payment",
    "Shipment", "Contract", "Asset", "Billing", "Renewal", "Territory",
    "Forecast", "Partner", "Campaign", "Survey", "Ticket", "Usage",
]  # fmt: skip


def synthetic_components(count, seed=0):
    """Return {tooling type: [spec, ...]} with ``count`` specs in all.

    Names are unique per type and the same seed gives the same org. Custom
    fields hang off the synthetic custom objects and a few standard ones.
    """
    rng = random.Random(seed)
    total_weight = sum(TYPE_WEIGHTS.values())
    counts = {
        tooling_type: count * weight // total_weight
        for tooling_type, weight in TYPE_WEIGHTS.items()
    }
    counts["ApexClass"] += count - sum(counts.values())
    objects = [f"{WORDS[i % len(WORDS)]}{i}__c" for i in range(counts["CustomObject"])]
    parents = [*objects, "Account", "Contact", "Opportunity"]

    specs = {tooling_type: [] for tooling_type in TYPE_WEIGHTS}
    for index in range(counts["ApexClass"]):
        name = f"{rng.choice(WORDS)}Service{index}"
        body = f"public with sharing class {name} {{\n    // v{rng.randint(1, 9)}\n}}\n"
        specs["ApexClass"].append({"Name": name, "Body": body})
    for index in range(counts["ApexTrigger"]):
        parent = rng.choice(parents)
        body = f"trigger Synthetic{index} on {parent} (before insert) {{}}\n"
        specs["ApexTrigger"].append(
            {"Name": f"Synthetic{index}", "Body": body, "TableEnumOrId": parent}
        )
    for index in range(counts["ApexPage"]):
        specs["ApexPage"].append({"Name": f"Page{index}", "Markup": "<apex:page/>"})
    for index in range(counts["ApexComponent"]):
        specs["ApexComponent"].append(
            {"Name": f"Widget{index}", "Markup": "<apex:component/>"}
        )
    for index in range(counts["LightningComponentBundle"]):
        specs["LightningComponentBundle"].append({"DeveloperName": f"lwcCard{index}"})
    for index in range(counts["AuraDefinitionBundle"]):
        specs["AuraDefinitionBundle"].append({"DeveloperName": f"AuraPanel{index}"})
    specs["CustomObject"] = [{"FullName": name} for name in objects]
    for index in range(counts["CustomField"]):
        parent = parents[index % len(parents)]
        specs["CustomField"].append({"FullName": f"{parent}.Field{index}__c"})
    for index in range(counts["FlowDefinition"]):
        status = "Active" if rng.random() < 0.7 else "Draft"
        specs["FlowDefinition"].append(
            {"DeveloperName": f"Flow_{index}", "Versions": [{"Status": status}]}
        )
    for index in range(counts["StaticResource"]):
        specs["StaticResource"].append(
            {"Name": f"Resource{index}", "ContentType": "text/css", "BodyLength": 512}
        )
    return specs
