"""The REST and Tooling data API: versions, query with paging, records."""

import re

from .components import REST_SCHEMAS, TOOLING_SCHEMAS
from .replies import (
    json_reply,
    not_found,
    request_limit_exceeded,
    rest_error,
    session_invalid,
)
from .soql import SoqlError, compile_query, field_value, record_url

MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000
LONG_TEXT_BATCH_SIZE = 200
BATCH_SIZE_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
LOCATOR_PATTERN = re.compile(r"^(01g\w{15})-(\d+)$")


def release_label(version):
    """Return e.g. "Summer '26" for 67.0 (Winter '26 is 65.0)."""
    steps = int(float(version)) - 65
    season = ("Winter", "Spring", "Summer")[steps % 3]
    return f"{season} '{26 + steps // 3:02d}"


def versions(settings):
    return json_reply(
        [
            {
                "label": release_label(version),
                "url": f"/services/data/v{version}",
                "version": version,
            }
            for version in settings["api_versions"]
        ]
    )


class DataApi:
    """Handlers for one authenticated call on an org's instance path."""

    def __init__(self, state, call):
        self.state = state
        self.call = call
        self.org = call.host_org

    def authenticate(self):
        """Return the caller's access token, or the 401 to send."""
        header = self.call.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            return None, session_invalid()
        if scheme not in ("Bearer", "OAuth") or not token.strip():
            return None, rest_error(401, "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE")
        access = self.state.valid_access_token(token.strip())
        if access is None or access.org is not self.org:
            return None, session_invalid()
        self.call.client_id = access.app.client_id
        if not {"api", "full"} & set(access.grant.scopes):
            return None, session_invalid(
                "This session is not valid for use with the REST API"
            )
        return access, None

    def admit(self, version):
        """Authenticate, check the version and count the call against quota."""
        access, refusal = self.authenticate()
        if refusal is not None:
            return None, refusal
        if version not in self.state.settings["api_versions"]:
            return None, not_found()
        if self.org.api_usage >= self.org.daily_api_limit:
            return None, request_limit_exceeded()
        self.org.api_usage += 1
        return access, None

    def resources(self, version):
        prefix = f"/services/data/v{version}"
        return json_reply(
            {
                "tooling": f"{prefix}/tooling",
                "query": f"{prefix}/query",
                "queryAll": f"{prefix}/queryAll",
                "sobjects": f"{prefix}/sobjects",
                "limits": f"{prefix}/limits",
            }
        )

    def limits(self):
        maximum = self.org.daily_api_limit
        remaining = max(maximum - self.org.api_usage, 0)
        return json_reply(
            {"DailyApiRequests": {"Max": maximum, "Remaining": remaining}}
        )

    def query(self, access, version, tooling):
        text = self.call.request.args.get("q", "")
        self.call.query = text
        schemas = TOOLING_SCHEMAS if tooling else REST_SCHEMAS
        try:
            plan = compile_query(text, schemas, TOOLING_SCHEMAS)
            records = plan.run(self.org.records_for(plan.entity), self.org.lookup)
        except SoqlError as error:
            return rest_error(400, error.error_code, error.message)
        if plan.count:
            return self._page_reply(plan, [], len(records), version, tooling, None)

        batch_size = self._batch_size(plan)
        if plan.entity == "EntityDefinition" and len(records) > batch_size:
            return rest_error(
                400,
                "EXCEEDED_ID_LIMIT",
                "EntityDefinition does not support queryMore(), use LIMIT to"
                " restrict the results to a single batch",
            )
        locator = None
        if len(records) > batch_size:
            locator = self.state.new_locator(
                self.org, plan, records, batch_size, tooling, access.user.id
            )
        return self._page(plan, records, 0, batch_size, version, tooling, locator)

    def query_more(self, version, locator_text, tooling):
        match = LOCATOR_PATTERN.match(locator_text)
        item = match and self.state.find_locator(self.org, match[1], tooling)
        if not item:
            return rest_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        offset = int(match[2])
        return self._page(
            item.plan, item.records, offset, item.batch_size, version, tooling, match[1]
        )

    def _batch_size(self, plan):
        batch_size = self.state.settings["query_batch_size"]
        options = self.call.request.headers.get("Sforce-Query-Options", "")
        requested = BATCH_SIZE_OPTION.search(options)
        if requested:
            batch_size = min(max(int(requested[1]), MIN_BATCH_SIZE), MAX_BATCH_SIZE)
        if plan.long_text:
            # Salesforce shrinks batches of rows with long text fields.
            batch_size = min(batch_size, LONG_TEXT_BATCH_SIZE)
        return batch_size

    def _page(self, plan, records, offset, batch_size, version, tooling, locator):
        page = records[offset : offset + batch_size]
        next_offset = offset + batch_size
        next_locator = locator if next_offset < len(records) else None
        if next_locator is None and locator is not None:
            self.org.locators.pop(locator, None)
        url_prefix = self._url_prefix(version, tooling)
        lookup = self.org.lookup
        projected = [plan.project(record, lookup, url_prefix) for record in page]
        locator_ref = f"{next_locator}-{next_offset}" if next_locator else None
        return self._page_reply(
            plan, projected, len(records), version, tooling, locator_ref
        )

    def _page_reply(self, plan, projected, total, version, tooling, locator_ref):
        body = {}
        if tooling:
            body["size"] = total
        body["totalSize"] = total
        body["done"] = locator_ref is None
        if locator_ref:
            kind = "tooling/query" if tooling else "query"
            body["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{locator_ref}"
        if tooling:
            body["queryLocator"] = locator_ref
            body["entityTypeName"] = plan.entity if projected else None
        body["records"] = projected
        return json_reply(body)

    def record(self, version, type_name, record_id, tooling):
        schemas = TOOLING_SCHEMAS if tooling else REST_SCHEMAS
        canonical = {name.lower(): name for name in schemas}.get(type_name.lower())
        if canonical is None:
            return not_found()
        record = self.org.lookup(canonical, record_id)
        if canonical == "Organization" and record_id[:15] == self.org.org_id[:15]:
            record = self.org.organization_record()
        if record is None or record["attributes"]["type"] != canonical:
            return not_found()
        body = {
            "attributes": {
                "type": canonical,
                "url": record_url(
                    record, canonical, self._url_prefix(version, tooling)
                ),
            }
        }
        for name, kind in schemas[canonical].fields.items():
            # FullName and Metadata come back when one record is asked for.
            if tooling or kind != "single_row":
                body[name] = field_value(record, name)
        return json_reply(body)

    @staticmethod
    def _url_prefix(version, tooling):
        return f"/services/data/v{version}/{'tooling/' if tooling else ''}sobjects"
