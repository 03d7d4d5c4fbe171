#!/usr/bin/env python3
"""Reshapes the API description (openapi.json) into one that generators turn into working clients.

A prototype and a specification for shared/src/openapi.rs (issue 29): every change is one small
function below, applied in order by `reshape`, so that each can be ported on its own. The result
must still describe the server exactly as it behaves (scripts/check-clients runs the generated
clients against it; Schemathesis fuzzes the server with it). Only the standard library is used.

    clients/reshape-openapi.py openapi.json > reshaped.json
    clients/reshape-openapi.py --list        # the changes, one line each

Why each change is needed is written beside it; the generators meant are openapi-python-client
0.29.1 and openapi-typescript 7.13.0 with openapi-fetch 0.17.0.
"""

import copy
import json
import sys

SCHEMAS = "#/components/schemas/"
PROBLEM_JSON = "application/problem+json"


def ref(name):
    return {"$ref": SCHEMAS + name}


def nullable(schema):
    """`schema` or JSON null, the way the description already spells optional members."""
    return {"oneOf": [schema, {"type": "null"}]}


def operations(doc):
    """(path, method, operation) for every operation."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def operation_by_id(doc, operation_id):
    for _, _, operation in operations(doc):
        if operation["operationId"] == operation_id:
            return operation
    raise KeyError(operation_id)


# --- Problems --------------------------------------------------------------------------------

# The shared problem responses, one per status, all carrying the one `Problem` schema. The
# description is the status's meaning across the API; each operation still lists the codes it can
# return (see shared_problem_responses). 403 had two wordings (role and Admin-only); they merge.
PROBLEM_RESPONSES = {
    "400": ("BadRequest", "The request cannot be read: malformed JSON, a bad parameter or header, an empty body"),
    "401": ("Unauthenticated", "Missing, malformed, expired or foreign token"),
    "403": ("Forbidden", "The caller's role may not do this: only Sales Managers and Admins work with opportunities, some operations are for Admins only"),
    "404": ("NotFound", "No such resource (or another Sales Manager's)"),
    "409": ("Conflict", "The resource's state does not allow this"),
    "412": ("PreconditionFailed", "If-Match names a stale version"),
    "413": ("ContentTooLarge", "The body exceeds 256 KiB"),
    "415": ("UnsupportedMediaType", "Wrong Content-Type"),
    "422": ("UnprocessableContent", "Well-formed but invalid; `errors` lists every failing field"),
    "500": ("InternalError", "Our fault; the details are in the log under the request id"),
}


def problem_codes_of(response):
    """The closed code enum of an inline `allOf: [Problem, {code: enum}]` problem response."""
    schema = response["content"][PROBLEM_JSON]["schema"]
    assert schema["allOf"][0] == ref("Problem"), schema
    return schema["allOf"][1]["properties"]["code"]["enum"]


def known_problem_codes(doc):
    """Every code any operation declares, per status, in first-seen order."""
    by_status = {}
    for _, _, operation in operations(doc):
        for status, response in operation["responses"].items():
            if PROBLEM_JSON in response.get("content", {}):
                codes = by_status.setdefault(status, [])
                for code in problem_codes_of(response):
                    if code not in codes:
                        codes.append(code)
    return by_status


def open_problem_code(doc):
    """Problem.code: a documented OPEN string.

    Before, each error response narrowed `code` to a closed enum, so a generated client failed to
    parse any code it did not know (a newer server's). Now `code` stays `type: string`; the known
    codes are listed in its description, in `examples` and in `x-known-values` (by status), so they
    are documented but an unknown one still parses. `additionalProperties` stays open (RFC 9457
    extension members)."""
    by_status = known_problem_codes(doc)
    every = [code for status in sorted(by_status) for code in by_status[status]]
    code = doc["components"]["schemas"]["Problem"]["properties"]["code"]
    code["description"] = (
        "Stable machine-readable code; the `type` is `/problems/<code>`. Open: new codes may be "
        "added, so handle unknown ones by `status`. Known codes: "
        + "; ".join(f"{status}: " + ", ".join(f"`{c}`" for c in by_status[status]) for status in sorted(by_status))
        + "."
    )
    code["examples"] = every
    code["x-known-values"] = by_status


def shared_problem_responses(doc):
    """ONE `Problem` schema for every error: `components.responses.<Name>` per status, each with
    content `application/problem+json: {$ref: Problem}` (and the status's headers), and every
    operation's 4xx/5xx problem response replaced by a `$ref` to it.

    Before: 153 inline `allOf` responses, so openapi-python-client generated 153 problem classes
    and 153 code enums (and never used the `Problem` model); now there is one `Problem` class.
    The codes an operation can return stay documented per operation in `x-problem-codes`
    ({status: [codes]}) and in a line of its `description`."""
    responses = doc["components"].setdefault("responses", {})
    for _, _, operation in operations(doc):
        per_operation = {}
        for status, response in list(operation["responses"].items()):
            if PROBLEM_JSON not in response.get("content", {}):
                continue
            name, description = PROBLEM_RESPONSES[status]
            codes = problem_codes_of(response)
            per_operation[status] = codes
            shared = responses.setdefault(name, {
                "description": description,
                "headers": response["headers"],
                "content": {PROBLEM_JSON: {"schema": ref("Problem"), "examples": {}}},
            })
            # Headers must agree across operations (401 adds WWW-Authenticate everywhere).
            assert shared["headers"] == response["headers"], (name, response["headers"])
            examples = shared["content"][PROBLEM_JSON]["examples"]
            for code in codes:
                examples.setdefault(code, {"value": {
                    "type": f"/problems/{code}",
                    "title": "…",
                    "status": int(status),
                    "detail": "…",
                    "code": code,
                    "request_id": "c0a8012e-7d1f-4a7e-9d1b-2f3c4d5e6f70",
                }})
            operation["responses"][status] = {"$ref": f"#/components/responses/{name}"}
        if per_operation:
            operation["x-problem-codes"] = per_operation
            line = "Problems: " + "; ".join(
                f"{status} " + ", ".join(f"`{c}`" for c in codes) for status, codes in per_operation.items()
            ) + "."
            operation["description"] = (operation["description"] + "\n\n" + line) if operation.get("description") else line


def shared_throttled_response(doc):
    """The 429 of API Gateway (no body, `Retry-After`) as one `components.responses.Throttled`."""
    responses = doc["components"].setdefault("responses", {})
    for _, _, operation in operations(doc):
        response = operation["responses"].get("429")
        if response is None or "$ref" in response:
            continue
        shared = responses.setdefault("Throttled", response)
        assert shared == response, response
        operation["responses"]["429"] = {"$ref": "#/components/responses/Throttled"}


# --- Variants whose shared fields survive generation -------------------------------------------

def split_variants(schema, branch_names):
    """Turns `{properties, required, oneOf: [constraint branches]}` into complete branches: each
    branch repeats the shared properties and `required`, adds its own, and is closed
    (`additionalProperties: false`) like the original. openapi-python-client drops properties
    declared beside a `oneOf`, so the fields must be in each branch. Returns {name: branch}."""
    shared_properties = schema["properties"]
    shared_required = schema.get("required", [])
    branches = {}
    for name, branch in zip(branch_names, schema["oneOf"]):
        properties = {}
        for key, value in shared_properties.items():
            # The branch's own member (e.g. `end_date` a Date here, `null` in the other branch)
            # replaces the shared, looser one; a required one keeps the shared member's
            # description and constraints (merge_member).
            own = branch.get("properties", {}).get(key)
            if own is None:
                properties[key] = copy.deepcopy(value)
            else:
                own = copy.deepcopy(own)
                if key in branch.get("required", []):
                    own = merge_member(value, own)
                properties[key] = own
        # No `title`: openapi-python-client names a class after the title before the component
        # name ("With a duration" -> WithADuration); the old title leads the description instead.
        branches[name] = {
            "description": branch.get("title", name) + ".",
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "required": shared_required + [r for r in branch.get("required", []) if r not in shared_required],
        }
        if "description" in branch:
            branches[name]["description"] += " " + branch["description"]
    return branches


def merge_member(shared, own):
    """A required member of one branch: the branch's type with the shared member's constraints
    (bounds, format, pattern), without the shared member's `null`."""
    if "$ref" in own:
        return own
    candidates = shared.get("oneOf", [shared])
    for candidate in candidates:
        if candidate.get("type") == "null":
            continue
        merged = copy.deepcopy(candidate)
        kind = merged.get("type")
        if isinstance(kind, list):
            merged["type"] = [t for t in kind if t != "null"][0]
        if "$ref" in merged or merged.get("type") == own.get("type"):
            for key, value in own.items():
                if key != "type":
                    merged.setdefault(key, value)
            return merged
    return own


def replace_with_named_variants(doc, schema_name, branch_names):
    schemas = doc["components"]["schemas"]
    original = schemas[schema_name]
    branches = split_variants(original, branch_names)
    for name, branch in branches.items():
        assert name not in schemas, name
        schemas[name] = branch
    replacement = {"oneOf": [ref(name) for name in branch_names]}
    for key in ("description", "example"):
        if key in original:
            replacement[key] = original[key]
    schemas[schema_name] = replacement


def timeline_variants(doc):
    """TimelineInput: `oneOf [TimelineWithEndDate, TimelineWithDuration]`, two named, closed
    models that each carry `start_date`, `flexible` and `specific_days`. Before, the shared fields
    sat beside the `oneOf` and the Python model of "With a duration" had no `start_date` or
    `flexible`."""
    replace_with_named_variants(doc, "TimelineInput", ["TimelineWithEndDate", "TimelineWithDuration"])


def skill_requirement_variants(doc):
    """SkillRequirementInput: `oneOf [CatalogSkillRequirement, CustomSkillRequirement]`, each with
    `category`, `importance` and `min_proficiency` (lost by the Python generator before)."""
    replace_with_named_variants(doc, "SkillRequirementInput", ["CatalogSkillRequirement", "CustomSkillRequirement"])


def customer_input_variants(doc):
    """CustomerInput: its two inline branches become the components `ExistingCustomer` (by `id`)
    and `CustomerByName` (reused by name or created), so that the models have stable names rather
    than ones derived from inline titles."""
    schemas = doc["components"]["schemas"]
    original = schemas["CustomerInput"]
    names = ["ExistingCustomer", "CustomerByName"]
    for name, branch in zip(names, original["oneOf"]):
        branch = copy.deepcopy(branch)
        branch["description"] = branch.pop("title") + "."  # not the class name: see split_variants
        schemas[name] = branch
    schemas["CustomerInput"] = {"description": original["description"], "oneOf": [ref(n) for n in names]}


# --- Money ---------------------------------------------------------------------------------------

def one_money_input(doc):
    """MoneyInput: ONE object instead of a `oneOf` of three split by the currency's minor units
    (0, 2, 3): `amount` allows up to 3 fraction digits and `currency` is the shared
    `CurrencyCode` enum; the per-currency limit is stated in the description and enforced by the
    server (422 `validation_failed` on `annual_recurring_revenue.amount`). Three generated money
    classes and three currency enums become one of each."""
    schemas = doc["components"]["schemas"]
    original = schemas["MoneyInput"]
    currencies = []
    widest = None
    minor_units = {}
    for branch in original["oneOf"]:
        currencies += branch["properties"]["currency"]["enum"]
        digits = int(branch["title"].split()[2])
        minor_units[digits] = branch["properties"]["currency"]["enum"]
        if widest is None or digits > widest[0]:
            widest = (digits, branch["properties"]["amount"]["pattern"])
    schemas["CurrencyCode"] = {
        "description": "ISO 4217 currency code, upper case.",
        "type": "string",
        "enum": sorted(currencies),
        "x-minor-units": {str(k): v for k, v in sorted(minor_units.items())},
    }
    zero = ", ".join(minor_units.get(0, []))
    three = ", ".join(minor_units.get(3, []))
    schemas["MoneyInput"] = {
        "description": original["description"]
            + f" Fraction digits: none for {zero}; up to 3 for {three}; up to 2 for every other"
              " currency (422 `validation_failed` otherwise).",
        "example": original["example"],
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "amount": {
                "description": "Non-negative decimal string up to 1000000000000, with at most the currency's minor units of fraction digits.",
                "type": "string",
                "pattern": widest[1],
            },
            "currency": ref("CurrencyCode"),
        },
        "required": ["amount", "currency"],
    }


# --- The patch body --------------------------------------------------------------------------

def merge_patch_model(doc):
    """OpportunityPatch: a plain model of optional members (JSON merge patch, RFC 7396).

    Before, the schema was `anyOf` six branches that hold only `required` (at least one field),
    so openapi-python-client generated no model, typed the body `Any` and raised a TypeError on
    every call. Now:
    - the `anyOf` becomes `not: {properties: {reason: {}}, additionalProperties: false}`: the same
      rule (a patch must change something besides `reason`), which generators ignore;
    - the inline members become named models: `customer` -> `CustomerId`, the revenue ->
      `MoneyPatch` (members optional, merged into the current amount), the timeline ->
      `TimelinePatch` (members optional; a `null` member removes it);
    - members where `null` clears stay nullable (`timeline`, its `end_date`, `duration_days`,
      `specific_days`; `reason` means "no reason"); the others are not, as the server refuses
      `null` for them."""
    schemas = doc["components"]["schemas"]
    patch = schemas["OpportunityPatch"]
    assert all(set(branch) == {"required"} for branch in patch.pop("anyOf")), "anyOf of required-only branches"
    patch["not"] = {"properties": {"reason": {}}, "additionalProperties": False}
    properties = patch["properties"]

    schemas["CustomerId"] = properties["customer"]
    properties["customer"] = ref("CustomerId")

    money = properties["annual_recurring_revenue"]
    money["properties"]["currency"] = ref("CurrencyCode")
    schemas["MoneyPatch"] = money
    properties["annual_recurring_revenue"] = ref("MoneyPatch")

    timeline = properties["timeline"]["oneOf"]
    assert timeline[1] == {"type": "null"}
    schemas["TimelinePatch"] = timeline[0]
    properties["timeline"] = nullable(ref("TimelinePatch"))


def patch_body_merge_patch_only(doc):
    """patch-opportunity's request body: only `application/merge-patch+json`, required.

    With two body media types openapi-python-client 0.29.1 makes the body optional in the
    signature (`body: X | Unset = UNSET`: its template drops `required` for multi-content
    bodies) and writes one branch per media type. The server also accepts `application/json`
    (the same document); the description names the media type a merge patch is."""
    body = operation_by_id(doc, "patch-opportunity")["requestBody"]
    body["content"] = {"application/merge-patch+json": body["content"]["application/merge-patch+json"]}
    body["required"] = True


# --- Enums and content negotiation ---------------------------------------------------------

def sort_enum_names(doc):
    """The `sort` parameter: `x-enum-varnames` (read by openapi-python-client and
    openapi-typescript's enum output) name `-created_at` CREATED_AT_DESC rather than VALUE_1; the
    schema becomes the component `OpportunitySort`, so the generated enum has that name."""
    schemas = doc["components"]["schemas"]
    parameter = doc["components"]["parameters"]["sort"]
    schema = parameter["schema"]
    schema["x-enum-varnames"] = [
        (value[1:] + "_desc" if value.startswith("-") else value + "_asc").upper() for value in schema["enum"]
    ]
    schema["description"] = "Sort key: ascending, or descending with `-`."
    schemas["OpportunitySort"] = schema
    parameter["schema"] = ref("OpportunitySort")


def csv_report_accept_header(doc):
    """get-pipeline-report: an optional `Accept` header parameter, so that generated clients can
    ask for the CSV the 200 response already offers as a second content type.

    The schema is an OPEN string (any `Accept` value; `text/csv` preferred to JSON selects CSV,
    anything else JSON, never 406), with `default: application/json` and the two useful values in
    `examples`: a closed enum would be unfaithful (Schemathesis sends other values and the server
    answers 200 JSON). OpenAPI says tools "SHALL ignore" an `Accept` header parameter; both
    generators used here honour it."""
    operation = operation_by_id(doc, "get-pipeline-report")
    operation["parameters"].append({
        "in": "header",
        "name": "Accept",
        "required": False,
        "description": "`text/csv` for the CSV form of the same figures (when preferred to JSON, by order or `q`); JSON otherwise.",
        "schema": {
            "type": "string",
            "default": "application/json",
            "examples": ["application/json", "text/csv"],
        },
    })


CHANGES = [
    open_problem_code,
    shared_problem_responses,
    shared_throttled_response,
    timeline_variants,
    skill_requirement_variants,
    customer_input_variants,
    one_money_input,
    merge_patch_model,
    patch_body_merge_patch_only,
    sort_enum_names,
    csv_report_accept_header,
]


def reshape(doc):
    doc = copy.deepcopy(doc)
    for change in CHANGES:
        change(doc)
    return doc


def main(argv):
    if argv[1:] == ["--list"]:
        for change in CHANGES:
            summary = " ".join(change.__doc__.strip().split("\n\n")[0].split())
            print(f"{change.__name__}: {summary}")
        return 0
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[5], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as source:
        doc = json.load(source)
    json.dump(reshape(doc), sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
