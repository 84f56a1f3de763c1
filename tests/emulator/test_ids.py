import pytest

from tests.salesforce_emulator.ids import KEY_PREFIXES, checksum, stable_id, to_18

PUBLISHED_VECTORS = [
    ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
    ("001M000000qfPyS", "001M000000qfPySIAU"),
    ("aBcDEfgHIJKLMNO", "aBcDEfgHIJKLMNO025"),
]


@pytest.mark.parametrize(("id15", "id18"), PUBLISHED_VECTORS)
def test_checksum_matches_published_vectors(id15, id18):
    assert to_18(id15) == id18


def test_eighteen_char_id_is_returned_unchanged():
    assert to_18("a0RE000000IJmcNMAT") == "a0RE000000IJmcNMAT"


def test_all_lowercase_and_digits_give_aaa():
    assert checksum("abcde12345fghij") == "AAA"


def test_all_uppercase_chunks_give_the_last_alphabet_letter():
    assert checksum("ABCDEFGHIJKLMNO") == "555"


@pytest.mark.parametrize("tooling_type", sorted(KEY_PREFIXES))
def test_stable_id_has_prefix_and_valid_checksum(tooling_type):
    prefix = KEY_PREFIXES[tooling_type]

    salesforce_id = stable_id(prefix, "00D5g00000AcmeP", tooling_type, "Thing")

    assert salesforce_id.startswith(prefix)
    assert len(salesforce_id) == 18
    assert salesforce_id.isalnum()
    assert to_18(salesforce_id[:15]) == salesforce_id


def test_stable_id_is_stable_and_depends_on_every_part():
    first = stable_id("01p", "00D5g00000AcmeP", "ApexClass", "Foo")

    again = stable_id("01p", "00D5g00000AcmeP", "ApexClass", "Foo")
    other_org = stable_id("01p", "00D7Z00000AcmeU", "ApexClass", "Foo")
    other_name = stable_id("01p", "00D5g00000AcmeP", "ApexClass", "Bar")

    assert first == again
    assert len({first, other_org, other_name}) == 3
