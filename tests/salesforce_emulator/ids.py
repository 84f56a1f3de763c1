"""Salesforce record ids: key prefixes, stable generation and the 18-char form."""

import hashlib
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"

KEY_PREFIXES = {
    "Organization": "00D",
    "User": "005",
    "ApexClass": "01p",
    "ApexTrigger": "01q",
    "ApexPage": "066",
    "ApexComponent": "099",
    "LightningComponentBundle": "0Rb",
    "AuraDefinitionBundle": "0Ab",
    "CustomObject": "01I",
    "CustomField": "00N",
    "FlowDefinition": "300",
    "Flow": "301",
    "StaticResource": "081",
    "ValidationRule": "03d",
    "ExternalString": "101",
    "QueryLocator": "01g",
}


UPPERCASE_BITS = str.maketrans(
    {char: "1" if char in string.ascii_uppercase else "0" for char in BASE62}
)


def checksum(id15):
    """Return the three characters that make a 15-char id case-insensitive."""
    bits = id15.translate(UPPERCASE_BITS)
    # Within each 5-char chunk the first character is the least significant
    # bit, so read the chunk's bits backwards.
    return "".join(
        CHECKSUM_ALPHABET[int(bits[start : start + 5][::-1], 2)] for start in (0, 5, 10)
    )


def to_18(salesforce_id):
    """Return the 18-char form of a 15- or 18-char id."""
    if len(salesforce_id) == 18:
        return salesforce_id
    if len(salesforce_id) != 15:
        raise ValueError(f"not a Salesforce id: {salesforce_id!r}")
    return salesforce_id + checksum(salesforce_id)


def is_valid_18(salesforce_id):
    return (
        len(salesforce_id) == 18
        and salesforce_id.isalnum()
        and salesforce_id.isascii()
        and checksum(salesforce_id[:15]) == salesforce_id[15:]
    )


def stable_id(prefix, *parts):
    """Return an 18-char id with ``prefix`` whose body is a hash of ``parts``.

    The same parts always give the same id, so an org rebuilt from the same
    config answers with the same ids.
    """
    return id_from_digest(prefix, stable_digest(*parts))


def stable_digest(*parts):
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def id_from_digest(prefix, digest):
    """Build an id from the first 12 bytes of ``digest``; the rest is free."""
    body = "".join(BASE62[byte % 62] for byte in digest[:12])
    return to_18(prefix + body)


def component_digest(org_id, tooling_type, full_name):
    return stable_digest(org_id[:15], tooling_type, full_name)


def component_id(org_id, tooling_type, full_name):
    digest = component_digest(org_id, tooling_type, full_name)
    return id_from_digest(KEY_PREFIXES[tooling_type], digest)
