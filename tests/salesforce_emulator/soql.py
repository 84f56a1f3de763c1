"""A tokenizer, parser and evaluator for the SOQL subset clients send.

Supported: ``SELECT`` fields (relationship paths such as
``LastModifiedBy.Name`` included) or ``COUNT()``, ``FROM``, ``WHERE`` with
``= != <> < <= > >= LIKE IN NOT IN``, ``AND``/``OR``/``NOT`` and
parentheses, ``ORDER BY`` (``ASC``/``DESC``, ``NULLS FIRST``/``LAST``),
``LIMIT`` and ``OFFSET``. Errors carry Salesforce's error codes and message
layout: the query row, a caret, ``ERROR at Row:R:Column:C`` and the text.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

MAX_OFFSET = 2000
KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY",
    "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE",
    "NULL", "GROUP", "HAVING", "WITH", "FOR", "USING",
}  # fmt: skip
COMPARISONS = ("=", "!=", "<>", "<", "<=", ">", ">=")

TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w:]))
  | (?P<number>[+-]?\d+(?:\.\d+)?(?![\w.]))
  | (?P<identifier>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<operator>!=|<>|<=|>=|=|<|>)
  | (?P<punctuation>[(),])
    """,
    re.VERBOSE,
)
STRING_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f",
    '"': '"', "'": "'", "\\": "\\", "%": "\\%", "_": "\\_",
}  # fmt: skip

NO_SUCH_COLUMN = (
    "No such column '{field}' on entity '{entity}'. If you are attempting to use"
    " a custom field, be sure to append the '__c' after the custom field name."
    " Please reference your WSDL or the describe call for the appropriate names."
)
NO_SUCH_RELATIONSHIP = (
    "Didn't understand relationship '{relationship}' in field path. If you are"
    " attempting to use a custom relationship, be sure to append the '__r' after"
    " the custom relationship name. Please reference your WSDL or the describe"
    " call for the appropriate names."
)
NOT_SUPPORTED_TYPE = (
    "sObject type '{entity}' is not supported. If you are attempting to use a"
    " custom object, be sure to append the '__c' after the entity name. Please"
    " reference your WSDL or the describe call for the appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse, with the errorCode it would use."""

    def __init__(self, error_code, message):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def located_error(error_code, text, position, detail):
    """Build the message layout Salesforce uses for errors at a position."""
    row = text.count("\n", 0, position) + 1
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    column = position - line_start + 1
    message = f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n"
    return SoqlError(error_code, message + detail)


@dataclass
class Token:
    kind: str
    value: object
    position: int
    text: str

    def is_keyword(self, *words):
        return self.kind == "identifier" and self.text.upper() in words


def tokenize(text):
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN_PATTERN.match(text, position)
        if match is None:
            raise located_error(
                "MALFORMED_QUERY",
                text,
                position,
                f"unexpected token: '{text[position]}'",
            )
        kind, raw = match.lastgroup, match.group()
        if kind != "space":
            tokens.append(Token(kind, _token_value(kind, raw), position, raw))
        position = match.end()
    tokens.append(Token("eof", None, len(text), "<EOF>"))
    return tokens


def _token_value(kind, raw):
    if kind == "string":
        return re.sub(r"\\(.)", lambda m: STRING_ESCAPES.get(m[1], m[1]), raw[1:-1])
    if kind == "number":
        return float(raw) if "." in raw else int(raw)
    if kind == "datetime":
        return parse_datetime(raw)
    if kind == "date":
        return date.fromisoformat(raw)
    return raw


@lru_cache(maxsize=65536)
def parse_datetime(text):
    """Parse a SOQL literal or a Salesforce response timestamp."""
    normalised = text.replace("Z", "+00:00")
    normalised = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", normalised)
    moment = datetime.fromisoformat(normalised)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


@dataclass
class FieldPath:
    text: str
    position: int

    @property
    def parts(self):
        return self.text.split(".")


@dataclass
class Comparison:
    path: FieldPath
    operator: str
    value: object
    value_token: Token


@dataclass
class BooleanExpression:
    operator: str  # AND, OR, NOT
    operands: list


@dataclass
class OrderItem:
    path: FieldPath
    descending: bool
    nulls_first: bool


@dataclass
class Query:
    text: str
    fields: list
    count: bool
    entity: str
    entity_position: int
    where: object = None
    order_by: list = field(default_factory=list)
    limit: int = None
    offset: int = None


class Parser:
    def __init__(self, text):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.current
        self.index += 1
        return token

    def unexpected(self, token=None):
        token = token or self.current
        shown = "<EOF>" if token.kind == "eof" else f"'{token.text}'"
        return located_error(
            "MALFORMED_QUERY", self.text, token.position, f"unexpected token: {shown}"
        )

    def expect_keyword(self, word):
        if not self.current.is_keyword(word):
            raise self.unexpected()
        return self.advance()

    def expect_punctuation(self, mark):
        if self.current.kind != "punctuation" or self.current.text != mark:
            raise self.unexpected()
        return self.advance()

    def parse(self):
        self.expect_keyword("SELECT")
        count, fields = self.select_list()
        self.expect_keyword("FROM")
        entity = self.identifier()
        query = Query(self.text, fields, count, entity.text, entity.position)
        if "." in entity.text:
            raise self.unexpected(entity)
        if self.current.is_keyword("WHERE"):
            self.advance()
            query.where = self.condition()
        if self.current.is_keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY")
            query.order_by = self.order_list()
        if self.current.is_keyword("LIMIT"):
            self.advance()
            query.limit = self.whole_number()
        if self.current.is_keyword("OFFSET"):
            self.advance()
            token = self.current
            query.offset = self.whole_number()
            if query.offset > MAX_OFFSET:
                raise located_error(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    self.text,
                    token.position,
                    f"Maximum SOQL offset allowed is {MAX_OFFSET}",
                )
        if self.current.kind != "eof":
            raise self.unexpected()
        return query

    def identifier(self):
        token = self.current
        if token.kind != "identifier" or token.text.upper() in KEYWORDS:
            raise self.unexpected()
        return self.advance()

    def whole_number(self):
        token = self.current
        if (
            token.kind != "number"
            or not isinstance(token.value, int)
            or token.value < 0
        ):
            raise self.unexpected()
        return self.advance().value

    def select_list(self):
        if self.current.is_keyword("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect_punctuation("(")
            self.expect_punctuation(")")
            return True, []
        fields = [self.field_path()]
        while self.current.text == ",":
            self.advance()
            fields.append(self.field_path())
        return False, fields

    def field_path(self):
        token = self.identifier()
        return FieldPath(token.text, token.position)

    def condition(self):
        """Parse AND/OR chains; SOQL refuses to mix them without parentheses."""
        operands = [self.negation()]
        chain = None
        while self.current.is_keyword("AND", "OR"):
            word = self.current.text.upper()
            if chain not in (None, word):
                raise self.unexpected()
            chain = word
            self.advance()
            operands.append(self.negation())
        return operands[0] if chain is None else BooleanExpression(chain, operands)

    def negation(self):
        if self.current.is_keyword("NOT"):
            self.advance()
            return BooleanExpression("NOT", [self.negation()])
        if self.current.text == "(":
            self.advance()
            inner = self.condition()
            self.expect_punctuation(")")
            return inner
        return self.comparison()

    def comparison(self):
        path = self.field_path()
        token = self.current
        if token.kind == "operator":
            self.advance()
            value_token = self.current
            return Comparison(path, token.text, self.literal(), value_token)
        if token.is_keyword("LIKE"):
            self.advance()
            value_token = self.current
            if value_token.kind != "string":
                raise self.unexpected()
            return Comparison(path, "LIKE", self.literal(), value_token)
        operator = "IN"
        if token.is_keyword("NOT"):
            self.advance()
            operator = "NOT IN"
        self.expect_keyword("IN")
        self.expect_punctuation("(")
        value_token = self.current
        values = [self.literal()]
        while self.current.text == ",":
            self.advance()
            values.append(self.literal())
        self.expect_punctuation(")")
        return Comparison(path, operator, values, value_token)

    def literal(self):
        token = self.current
        if token.kind in ("string", "number", "datetime", "date"):
            return self.advance().value
        if token.is_keyword("TRUE", "FALSE"):
            return self.advance().text.upper() == "TRUE"
        if token.is_keyword("NULL"):
            self.advance()
            return None
        raise self.unexpected()

    def order_list(self):
        items = []
        while True:
            path = self.field_path()
            descending = False
            if self.current.is_keyword("ASC", "DESC"):
                descending = self.advance().text.upper() == "DESC"
            nulls_first = not descending
            if self.current.is_keyword("NULLS"):
                self.advance()
                if not self.current.is_keyword("FIRST", "LAST"):
                    raise self.unexpected()
                nulls_first = self.advance().text.upper() == "FIRST"
            items.append(OrderItem(path, descending, nulls_first))
            if self.current.text != ",":
                return items
            self.advance()


def parse(text):
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "A query string has to be specified")
    return Parser(text).parse()


FILTER_TYPE_NAMES = {
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "datetime": "dateTime",
}
SINGLE_ROW_MESSAGE = (
    "When retrieving results with Metadata or FullName fields, the query"
    " qualifications must specify no more than one row for retrieval."
    " Result size: {size}"
)


@dataclass
class ResolvedPath:
    hops: list  # [(relationship, id field, target schema)]
    field: str
    kind: str
    schema: object


def _looks_like_id(value):
    return len(value) in (15, 18) and value.isalnum() and value.isascii()


def _normaliser(kind):
    """Return the function that makes values of a field kind comparable."""
    if kind in ("id", "reference"):
        # Ids compare on their case-sensitive 15-char form; a reference may
        # also hold a name (EntityDefinitionId of a standard object).
        return lambda value: value[:15] if _looks_like_id(value) else value.lower()
    if kind == "datetime":
        return lambda value: parse_datetime(value) if isinstance(value, str) else value
    if kind in ("string", "long", "single_row"):
        return str.lower
    return lambda value: value


class CompiledQuery:
    """A parsed query checked against the schemas, ready to run."""

    def __init__(self, query, root_schemas, all_schemas):
        self.query = query
        self.all_schemas = all_schemas
        by_lower = {name.lower(): name for name in root_schemas}
        entity = by_lower.get(query.entity.lower())
        if entity is None:
            raise located_error(
                "INVALID_TYPE",
                query.text,
                query.entity_position,
                NOT_SUPPORTED_TYPE.format(entity=query.entity),
            )
        self.schema = root_schemas[entity]
        self.entity = entity
        self.count = query.count

        self.selected = [self.resolve(path) for path in query.fields]
        self.projection = {}
        for resolved in self.selected:
            self._add_to_projection(resolved)
        self.long_text = any(path.kind == "long" for path in self.selected)
        self.single_row = any(path.kind == "single_row" for path in self.selected)
        self.predicate = self._compile(query.where) if query.where else None
        self.order = []
        for item in query.order_by:
            resolved = self.resolve(item.path)
            self.order.append(
                (self._getter(resolved), _normaliser(resolved.kind), item)
            )

    def resolve(self, path):
        schema, hops = self.schema, []
        for relationship in path.parts[:-1]:
            canonical = schema.relationship(relationship)
            if canonical is None:
                raise located_error(
                    "INVALID_FIELD",
                    self.query.text,
                    path.position,
                    NO_SUCH_RELATIONSHIP.format(relationship=relationship),
                )
            id_field, target = schema.relationships[canonical]
            hops.append((canonical, id_field, self.all_schemas[target]))
            schema = self.all_schemas[target]
        name = path.parts[-1]
        canonical = schema.field(name)
        if canonical is None:
            raise located_error(
                "INVALID_FIELD",
                self.query.text,
                path.position,
                NO_SUCH_COLUMN.format(field=name, entity=schema.name),
            )
        return ResolvedPath(hops, canonical, schema.fields[canonical], schema)

    def _add_to_projection(self, resolved):
        node = self.projection
        for relationship, id_field, target in resolved.hops:
            entry = node.setdefault(relationship, (id_field, target, {}))
            node = entry[2]
        node[resolved.field] = None

    @staticmethod
    def _getter(resolved):
        hops, field_name = resolved.hops, resolved.field

        def get(record, lookup):
            for _, id_field, target in hops:
                related_id = record.get(id_field)
                record = lookup(target.name, related_id) if related_id else None
                if record is None:
                    return None
            return field_value(record, field_name)

        return get

    def _compile(self, node):
        if isinstance(node, BooleanExpression):
            parts = [self._compile(operand) for operand in node.operands]
            if node.operator == "NOT":
                inner = parts[0]
                return lambda record, lookup: not inner(record, lookup)
            combine = all if node.operator == "AND" else any
            return lambda record, lookup: combine(
                part(record, lookup) for part in parts
            )
        return self._compile_comparison(node)

    def _compile_comparison(self, comparison):
        resolved = self.resolve(comparison.path)
        kind = resolved.kind
        if kind in ("long", "single_row"):
            raise located_error(
                "INVALID_FIELD",
                self.query.text,
                comparison.path.position,
                f"field '{resolved.field}' can not be filtered in a query call",
            )
        values = comparison.value if "IN" in comparison.operator else [comparison.value]
        for value in values:
            self._check_literal(resolved, value, comparison.value_token)
        get = self._getter(resolved)
        normalise = _normaliser(kind)
        operator = comparison.operator

        if operator in ("IN", "NOT IN"):
            wanted = {normalise(value) for value in values if value is not None}
            negate = operator == "NOT IN"

            def matches(record, lookup):
                value = get(record, lookup)
                if value is None:
                    return negate
                return (normalise(value) in wanted) != negate

            return matches
        if operator == "LIKE":
            pattern = _like_pattern(comparison.value)

            def like(record, lookup):
                value = get(record, lookup)
                return value is not None and pattern.fullmatch(value) is not None

            return like

        target = comparison.value
        if target is None:
            if operator == "=":
                return lambda record, lookup: get(record, lookup) is None
            if operator in ("!=", "<>"):
                return lambda record, lookup: get(record, lookup) is not None
            return lambda record, lookup: False
        if isinstance(target, date) and not isinstance(target, datetime):
            target = datetime(target.year, target.month, target.day, tzinfo=UTC)
        target = normalise(target)
        test = {
            "=": lambda left: left == target,
            "!=": lambda left: left != target,
            "<>": lambda left: left != target,
            "<": lambda left: left < target,
            "<=": lambda left: left <= target,
            ">": lambda left: left > target,
            ">=": lambda left: left >= target,
        }[operator]
        # SOQL's != keeps rows whose field is null, unlike SQL.
        null_result = operator in ("!=", "<>")

        def compare(record, lookup):
            value = get(record, lookup)
            return null_result if value is None else test(normalise(value))

        return compare

    def _check_literal(self, resolved, value, token):
        if value is None:
            return
        kind, field_name = resolved.kind, resolved.field
        expected = FILTER_TYPE_NAMES.get(kind, "string")
        if kind == "boolean":
            valid = isinstance(value, bool)
        elif kind in ("int", "double"):
            valid = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind == "datetime":
            valid = isinstance(value, (datetime, date))
        else:
            valid = isinstance(value, str)
        if not valid:
            quoting = "be enclosed" if expected == "string" else "not be enclosed"
            raise located_error(
                "INVALID_QUERY_FILTER_OPERATOR",
                self.query.text,
                token.position,
                f"value of filter criterion for field '{field_name}' must be of type"
                f" {expected} and should {quoting} in quotes",
            )
        if kind == "id" and not _looks_like_id(value):
            raise located_error(
                "INVALID_QUERY_FILTER_OPERATOR",
                self.query.text,
                token.position,
                f"invalid ID field: {value}",
            )

    def run(self, records, lookup):
        """Return the matching records, sorted and sliced; WHERE runs once."""
        if self.predicate is not None:
            predicate = self.predicate
            records = [record for record in records if predicate(record, lookup)]
        else:
            records = list(records)
        # Stable sorts from the last key to the first give a multi-key order.
        for get, normalise, item in reversed(self.order):
            key = _sort_key(get, normalise, item, lookup)
            records.sort(key=key, reverse=item.descending)
        start = self.query.offset or 0
        end = None if self.query.limit is None else start + self.query.limit
        records = records[start:end]
        if self.single_row and len(records) > 1:
            raise SoqlError(
                "MALFORMED_QUERY", SINGLE_ROW_MESSAGE.format(size=len(records))
            )
        return records

    def project(self, record, lookup, url_prefix):
        return _project(record, self.schema, self.projection, lookup, url_prefix)


def _sort_key(get, normalise, item, lookup):
    # With reverse=True the null rank flips too, so pick it accordingly.
    null_rank = 0 if item.nulls_first != item.descending else 2

    def key(record):
        value = get(record, lookup)
        if value is None:
            return (null_rank, None)
        return (1, normalise(value))

    return key


def _like_pattern(pattern):
    regex = ""
    for match in re.finditer(r"\\[%_]|%|_|[^%_\\]+|\\", pattern):
        piece = match.group()
        if piece == "%":
            regex += ".*"
        elif piece == "_":
            regex += "."
        else:
            regex += re.escape(piece[-1] if piece in ("\\%", "\\_") else piece)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def field_value(record, field_name):
    if field_name == "FullName":
        return record.get("_full_name")
    if field_name == "Metadata":
        return _metadata(record)
    return record.get(field_name)


def _metadata(record):
    keys = {
        "ApiVersion": "apiVersion",
        "Status": "status",
        "MasterLabel": "label",
        "Description": "description",
        "Active": "active",
        "ErrorMessage": "errorMessage",
    }
    return {
        target: record[source] for source, target in keys.items() if source in record
    }


def record_url(record, type_name, url_prefix):
    # EntityDefinition rows are addressed by DurableId, not by Id.
    key = record.get("DurableId") if type_name == "EntityDefinition" else record["Id"]
    return f"{url_prefix}/{type_name}/{key}"


def _project(record, schema, projection, lookup, url_prefix):
    result = {
        "attributes": {
            "type": schema.name,
            "url": record_url(record, schema.name, url_prefix),
        }
    }
    for name, node in projection.items():
        if node is None:
            result[name] = field_value(record, name)
            continue
        id_field, target, subtree = node
        related_id = record.get(id_field)
        related = lookup(target.name, related_id) if related_id else None
        result[name] = (
            _project(related, target, subtree, lookup, url_prefix) if related else None
        )
    return result


def compile_query(text, root_schemas, all_schemas):
    return CompiledQuery(parse(text), root_schemas, all_schemas)
