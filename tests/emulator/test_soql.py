import pytest

from tests.salesforce_emulator.components import TOOLING_SCHEMAS, ComponentBuilder
from tests.salesforce_emulator.soql import SoqlError, compile_query, parse, tokenize

ORG_ID = "00D5g00000AcmePEAR"
USER_ID = "005000000000001AAA"


@pytest.fixture
def records():
    builder = ComponentBuilder(ORG_ID, USER_ID)
    specs = [
        {"Name": "Alpha", "ApiVersion": 60.0, "Status": "Active"},
        {"Name": "beta", "ApiVersion": 65.0, "Status": "Inactive"},
        {"Name": "Gamma", "ApiVersion": 62.0, "LastModifiedDate": None},
        {"FullName": "ns__Delta", "ApiVersion": 58.0},
    ]
    result = [builder.build("ApexClass", spec)[0] for spec in specs]
    result[0]["LastModifiedDate"] = "2026-01-01T10:00:00.000+0000"
    result[1]["LastModifiedDate"] = "2025-06-01T10:00:00.000+0000"
    result[3]["LastModifiedDate"] = "2026-03-01T10:00:00.000+0000"
    return result


def _lookup(type_name, record_id):
    if type_name == "User":
        return {"attributes": {"type": "User"}, "Id": record_id, "Name": "Ada Admin"}
    return None


def _names(soql, records):
    plan = compile_query(soql, TOOLING_SCHEMAS, TOOLING_SCHEMAS)
    return [record["Name"] for record in plan.run(records, _lookup)]


def _error(soql):
    with pytest.raises(SoqlError) as caught:
        compile_query(soql, TOOLING_SCHEMAS, TOOLING_SCHEMAS)
    return caught.value


def test_tokenizer_reads_strings_numbers_dates_and_paths():
    tokens = tokenize(
        "SELECT LastModifiedBy.Name FROM X WHERE A = 'it\\'s' AND B >= 1.5 "
        "AND C > 2026-01-01T00:00:00Z AND D = 2026-01-02"
    )

    kinds = [(token.kind, token.text) for token in tokens]
    assert ("identifier", "LastModifiedBy.Name") in kinds
    assert tokens[7].value == "it's"
    assert ("number", "1.5") in kinds
    assert ("datetime", "2026-01-01T00:00:00Z") in kinds
    assert ("date", "2026-01-02") in kinds
    assert kinds[-1] == ("eof", "<EOF>")


def test_parser_keeps_order_limit_and_offset():
    query = parse(
        "select Id, Name from ApexClass order by Name desc nulls last, Id "
        "limit 10 offset 5"
    )

    assert [item.path.text for item in query.order_by] == ["Name", "Id"]
    assert query.order_by[0].descending is True
    assert query.order_by[0].nulls_first is False
    assert query.order_by[1].nulls_first is True
    assert (query.limit, query.offset) == (10, 5)


def test_equality_is_case_insensitive(records):
    assert _names("SELECT Name FROM ApexClass WHERE Name = 'ALPHA'", records) == [
        "Alpha"
    ]


def test_not_equal_keeps_nulls(records):
    names = _names("SELECT Name FROM ApexClass WHERE NamespacePrefix != 'ns'", records)

    assert names == ["Alpha", "beta", "Gamma"]


def test_null_comparisons(records):
    assert _names(
        "SELECT Name FROM ApexClass WHERE NamespacePrefix = null", records
    ) == ["Alpha", "beta", "Gamma"]
    assert _names(
        "SELECT Name FROM ApexClass WHERE NamespacePrefix <> null", records
    ) == ["Delta"]


def test_in_and_not_in(records):
    assert _names(
        "SELECT Name FROM ApexClass WHERE Name IN ('alpha', 'Gamma')", records
    ) == ["Alpha", "Gamma"]
    assert _names(
        "SELECT Name FROM ApexClass WHERE Name NOT IN ('alpha', 'Gamma')", records
    ) == ["beta", "Delta"]


def test_numeric_and_datetime_ranges(records):
    assert _names("SELECT Name FROM ApexClass WHERE ApiVersion >= 62", records) == [
        "beta",
        "Gamma",
    ]
    assert _names(
        "SELECT Name FROM ApexClass WHERE LastModifiedDate > 2025-12-31T00:00:00Z",
        records,
    ) == ["Alpha", "Delta"]


def test_like_with_wildcards(records):
    assert _names("SELECT Name FROM ApexClass WHERE Name LIKE '%a'", records) == [
        "Alpha",
        "beta",
        "Gamma",
        "Delta",
    ]
    assert _names("SELECT Name FROM ApexClass WHERE Name LIKE 'b_ta'", records) == [
        "beta"
    ]


def test_and_or_not_with_parentheses(records):
    names = _names(
        "SELECT Name FROM ApexClass WHERE (Name = 'Alpha' OR Name = 'beta') "
        "AND NOT Status = 'Inactive'",
        records,
    )

    assert names == ["Alpha"]


def test_mixing_and_with_or_needs_parentheses():
    error = _error(
        "SELECT Id FROM ApexClass WHERE Name = 'a' AND Name = 'b' OR Name = 'c'"
    )

    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("unexpected token: 'OR'")


def test_order_by_is_case_insensitive_with_nulls_first(records):
    records[1]["Status"] = None

    assert _names("SELECT Name FROM ApexClass ORDER BY Name", records) == [
        "Alpha",
        "beta",
        "Delta",
        "Gamma",
    ]
    assert _names("SELECT Name FROM ApexClass ORDER BY Status, Name", records) == [
        "beta",
        "Alpha",
        "Delta",
        "Gamma",
    ]
    assert _names(
        "SELECT Name FROM ApexClass ORDER BY Status DESC NULLS FIRST, Name", records
    ) == ["beta", "Alpha", "Delta", "Gamma"]


def test_limit_and_offset_slice_after_sorting(records):
    names = _names("SELECT Name FROM ApexClass ORDER BY Name LIMIT 2 OFFSET 1", records)

    assert names == ["beta", "Delta"]


def test_where_can_use_relationship_fields(records):
    names = _names(
        "SELECT Name FROM ApexClass WHERE LastModifiedBy.Name = 'Ada Admin'", records
    )

    assert len(names) == 4


def test_projection_nests_relationships_in_select_order(records):
    plan = compile_query(
        "SELECT Name, LastModifiedBy.Name, Id FROM ApexClass",
        TOOLING_SCHEMAS,
        TOOLING_SCHEMAS,
    )

    projected = plan.project(
        records[0], _lookup, "/services/data/v65.0/tooling/sobjects"
    )

    assert list(projected) == ["attributes", "Name", "LastModifiedBy", "Id"]
    assert projected["LastModifiedBy"]["Name"] == "Ada Admin"


def test_field_names_are_answered_in_canonical_case(records):
    plan = compile_query("SELECT name, apiversion FROM apexclass", TOOLING_SCHEMAS, {})

    projected = plan.project(records[0], _lookup, "/x")

    assert list(projected) == ["attributes", "Name", "ApiVersion"]
    assert projected["attributes"]["type"] == "ApexClass"


def test_count_query(records):
    plan = compile_query(
        "SELECT COUNT() FROM ApexClass WHERE ApiVersion > 59",
        TOOLING_SCHEMAS,
        TOOLING_SCHEMAS,
    )

    assert plan.count is True
    assert len(plan.run(records, _lookup)) == 3


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        ("SELECT Id, Nme FROM ApexClass", "INVALID_FIELD", "No such column 'Nme'"),
        ("SELECT Id FROM ApexKlass", "INVALID_TYPE", "sObject type 'ApexKlass'"),
        ("SELECT Id FROM", "MALFORMED_QUERY", "unexpected token: <EOF>"),
        (
            "SELECT Id, Owner.Name FROM ApexClass",
            "INVALID_FIELD",
            "relationship 'Owner'",
        ),
        (
            "SELECT Id FROM ApexClass WHERE IsValid = 'true'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM ApexClass WHERE Name = 5",
            "INVALID_QUERY_FILTER_OPERATOR",
            "must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM ApexClass WHERE Id = 'abc'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid ID field: abc",
        ),
        (
            "SELECT Id FROM ApexClass WHERE Body = 'x'",
            "INVALID_FIELD",
            "field 'Body' can not be filtered",
        ),
        (
            "SELECT Id FROM ApexClass OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
        ("", "MALFORMED_QUERY", "A query string has to be specified"),
    ],
)
def test_each_error_has_salesforces_code_and_text(soql, code, detail):
    error = _error(soql)

    assert error.error_code == code
    assert detail in error.message


def test_error_message_points_at_the_column_and_row():
    error = _error("SELECT Id,\n  Nme\nFROM ApexClass")

    assert error.message.startswith("\n  Nme\n  ^\nERROR at Row:2:Column:3\n")
