#!/usr/bin/env bash
# Offline checks for the SAM deployment (template.yaml and samconfig.toml). Needs no AWS account,
# no Docker and no network once the tools are installed, and never builds Rust.
#
#   scripts/check-template.sh            # every check
#   OMS_VENV=/path/to/venv scripts/check-template.sh
#
# 1. consistency: template.yaml against the crates under functions/ (each one deployed), the
#    route table in shared/src/routes.rs (HTTP functions, API CORS methods, latency alarms), the
#    event sources of the five event functions (SQS, SQS, Schedule, S3, Schedule; the S3 one with
#    retries and an alarmed on-failure queue), the Lambda TOKEN authorizer (the Api's default
#    authorizer, no events, no permissions), the variables each function needs (database
#    everywhere; cache table, idempotency table, queue URLs and attachments bucket where the code
#    uses them) with matching permissions (S3 only on the attachments/ prefix and only the object
#    operations the code performs), the attachments bucket's CORS for browser uploads, alarms,
#    ERROR-line filters and dashboard entries for every function, no circular dependency (which
#    neither sam validate nor cfn-lint reports for an S3 event), and the parameter overrides in
#    samconfig.toml
# 2. sam validate --lint   (SAM transform, then cfn-lint on the result)
# 3. cfn-lint              (warnings fail too; ignores live in template Metadata with a reason)
# 4. checkov               (every failed check fails; skips live in template Metadata with a reason)
#
# The tools come from a Python virtualenv at ${OMS_VENV:-.venv}; it is created and the tools
# installed from PyPI (aws-sam-cli, cfn-lint, checkov) when any of them is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
TEMPLATE=template.yaml
REGION=eu-west-1
VENV="${OMS_VENV:-.venv}"

# No telemetry, no calls home: checkov's --skip-download keeps it from fetching guidelines.
export SAM_CLI_TELEMETRY=0

if [[ ! -x "$VENV/bin/sam" || ! -x "$VENV/bin/cfn-lint" || ! -x "$VENV/bin/checkov" ]]; then
  echo "==> installing aws-sam-cli, cfn-lint and checkov into $VENV"
  if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet aws-sam-cli cfn-lint checkov
fi

failed=()

step() {
  local name=$1
  shift
  echo
  echo "==> $name"
  if "$@"; then
    echo "--> $name: passed"
  else
    echo "--> $name: FAILED"
    failed+=("$name")
  fi
}

consistency() {
  "$VENV/bin/python" - "$TEMPLATE" <<'PY'
"""template.yaml against functions/*, shared/src/routes.rs, the event functions and samconfig.toml."""
import pathlib
import re
import sys

import tomlkit
from samtranslator.yaml_helper import yaml_parse

template_path = pathlib.Path(sys.argv[1])
template = yaml_parse(template_path.read_text())
resources = template["Resources"]
parameters = template["Parameters"]
problems = []

# --- functions against crates -------------------------------------------------------------
functions = {}
for logical_id, resource in resources.items():
    if resource.get("Type") != "AWS::Serverless::Function":
        continue
    metadata = resource.get("Metadata", {})
    properties = resource.get("Properties", {})
    binary = metadata.get("BuildProperties", {}).get("Binary")
    if metadata.get("BuildMethod") != "rust-cargolambda":
        problems.append(f"{logical_id}: Metadata.BuildMethod must be rust-cargolambda")
    if not binary:
        problems.append(f"{logical_id}: Metadata.BuildProperties.Binary is missing")
        continue
    if binary in functions:
        problems.append(f"{logical_id}: binary {binary} is also built by {functions[binary][0]}")
    functions[binary] = (logical_id, properties)
    if properties.get("CodeUri") != f"functions/{binary}":
        problems.append(f"{logical_id}: CodeUri must be functions/{binary} (got {properties.get('CodeUri')!r})")
    manifest = pathlib.Path("functions", binary, "Cargo.toml")
    if not manifest.is_file():
        problems.append(f"{logical_id}: no crate at functions/{binary} for binary {binary}")
        continue
    cargo = tomlkit.parse(manifest.read_text())
    bins = [b.get("name") for b in cargo.get("bin", [])] or [cargo["package"]["name"]]
    if bins != [binary]:
        problems.append(f"{manifest}: binaries {bins}, the template expects exactly [{binary!r}]")

# Every crate is a function of the stack: a crate the template does not deploy fails the check.
crates = sorted(p.parent.name for p in pathlib.Path("functions").glob("*/Cargo.toml"))
for crate in crates:
    if crate not in functions:
        problems.append(f"functions/{crate}: not deployed by template.yaml")

globals_fn = template.get("Globals", {}).get("Function", {})
globals_env = globals_fn.get("Environment", {}).get("Variables", {})


def merged_env(properties):
    return {**globals_env, **properties.get("Environment", {}).get("Variables", {})}


for binary, (logical_id, properties) in functions.items():
    merged = {**globals_fn, **properties}
    for key, want in (("Runtime", "provided.al2023"), ("Architectures", ["arm64"]), ("Handler", "bootstrap")):
        if merged.get(key) != want:
            problems.append(f"{logical_id}: {key} must be {want!r} (got {merged.get(key)!r})")
    logging = properties.get("LoggingConfig", {})
    if logging.get("LogFormat") != "JSON" or "LogGroup" not in logging:
        problems.append(f"{logical_id}: LoggingConfig needs LogFormat JSON and its own LogGroup")
    # App::from_env falls back to a local SQLite file without the database variables, which fails
    # at init in Lambda: every function needs them, whether or not it queries the database.
    env = merged_env(properties)
    if env.get("OMS_DATABASE") != "data-api":
        problems.append(f"{logical_id}: OMS_DATABASE must be data-api (got {env.get('OMS_DATABASE')!r})")
    for name in ("OMS_DB_CLUSTER_ARN", "OMS_DB_SECRET_ARN", "OMS_DB_NAME", "RUST_LOG"):
        if not env.get(name):
            problems.append(f"{logical_id}: environment variable {name} is missing")

# --- triggers: routes for the HTTP functions, event sources for the others ---------------------
routes_rs = pathlib.Path("shared/src/routes.rs").read_text()
route_entries = list(
    re.finditer(
        r'route!\(\s*"([^"]+)",\s*"([A-Z]+)",\s*"([^"]+)",\s*(true|false)\s*,\s*([a-z_]+)::([a-z_0-9]+)\s*,?\s*\)',
        routes_rs,
    )
)
routes = {m.group(1): (m.group(2), m.group(3), m.group(4) == "true") for m in route_entries}
route_handlers = {m.group(1): (m.group(5), m.group(6)) for m in route_entries}
if len(route_entries) != routes_rs.count("route!("):
    problems.append("shared/src/routes.rs: a route!(...) entry this script cannot read (name, method, path, auth, handler)")
if not routes:
    problems.append("shared/src/routes.rs: no route!(...) entries found")

# The functions without a route: their event source (for SQS the queue they consume, for S3 the
# bucket that notifies them, for Schedule the rate).
EVENT_FUNCTIONS = {
    "cache-invalidation": ("SQS", "ChangeEventsQueue"),
    "opportunity-status-events": ("SQS", "StatusEventsQueue"),
    "outbox-relay": ("Schedule", "rate(1 minute)"),
    "attachment-complete": ("S3", "AttachmentsBucket"),
    "expire-uploads": ("Schedule", "rate(5 minutes)"),
}

# Besides the database, the variables App::from_env reads for each function (shared/src/app.rs):
# every write route publishes change events (shared/src/consumers/mod.rs, after_commit), and all
# but the two catalog creations also write the cache through; of the reads only get-opportunity,
# list-skills and get-skill use the cache (shared/src/handlers).
# The four creations that honour Idempotency-Key (handlers calling idempotent::create_once) keep
# their records in the cache table (shared/src/adapters/dynamodb_idempotency.rs).
CACHE = "OMS_CACHE_TABLE"
IDEMPOTENCY = "OMS_IDEMPOTENCY_TABLE"
CHANGES = "OMS_CHANGE_EVENTS_QUEUE_URL"
PARKING = "OMS_DEAD_LETTER_QUEUE_URL"
CACHE_READERS = {"get-opportunity", "list-skills", "get-skill"}
PUBLISH_ONLY = {"create-customer", "create-skill"}  # after_commit(app, None, ...): no cache entry
IDEMPOTENCY_USERS = {"create-opportunity", "create-customer", "create-skill", "presign-upload"}
EXPECTED_ENV = {
    "cache-invalidation": {CACHE},
    "opportunity-status-events": {CACHE, CHANGES, PARKING},
    "outbox-relay": {CHANGES},
    # An attachment's completion or expiry invalidates the opportunity's cache entry and publishes
    # its change event (handlers::attachments::after_attachment_change).
    "attachment-complete": {CACHE, CHANGES},
    "expire-uploads": {CACHE, CHANGES},
}
for function, (method, _, _) in routes.items():
    if method != "GET":
        EXPECTED_ENV[function] = {CHANGES} if function in PUBLISH_ONLY else {CACHE, CHANGES}
    else:
        EXPECTED_ENV[function] = {CACHE} if function in CACHE_READERS else set()
    if function in IDEMPOTENCY_USERS:
        EXPECTED_ENV[function].add(IDEMPOTENCY)

# IDEMPOTENCY_USERS against the code: the routes whose handler calls idempotent::create_once.
CREATE_ONCE = "idempotent::create_once("
handler_sources = {path.stem: path.read_text() for path in pathlib.Path("shared/src/handlers").glob("*.rs")}
idempotent_routes = set()
for function, (module, name) in route_handlers.items():
    body = re.search(rf"\npub async fn {name}\b.*?\n\}}\n", handler_sources.get(module, ""), re.S)
    if body is None:
        problems.append(f"route {function}: handler {module}::{name} not found in shared/src/handlers/{module}.rs")
    elif CREATE_ONCE in body.group(0):
        idempotent_routes.add(function)
if idempotent_routes != IDEMPOTENCY_USERS:
    problems.append(
        f"IDEMPOTENCY_USERS in this script is {sorted(IDEMPOTENCY_USERS)}, but the route handlers calling"
        f" {CREATE_ONCE[:-1]} are {sorted(idempotent_routes)}"
    )
calls = sum(text.count(CREATE_ONCE) for text in handler_sources.values())
if calls != len(idempotent_routes):
    problems.append(f"shared/src/handlers: {calls} call(s) of {CREATE_ONCE[:-1]}, {len(idempotent_routes)} in route handlers")

# The attachments bucket (shared/src/adapters/s3_objects.rs, App::from_env): OMS_ATTACHMENTS_BUCKET
# for every function that touches objects, OMS_ATTACHMENTS_KMS_KEY_ID (SSE-KMS on uploads) for the
# one that presigns uploads. What each does to objects (docs/DEPLOY.md, function table), checked
# below against the object-store calls its code makes.
BUCKET = "OMS_ATTACHMENTS_BUCKET"
UPLOAD_KEY = "OMS_ATTACHMENTS_KMS_KEY_ID"
OBJECT_ACTIONS = {
    "presign-upload": {"s3:PutObject"},
    "get-attachment": {"s3:GetObject"},
    "delete-attachment": {"s3:DeleteObject"},
    "attachment-complete": {"s3:GetObject", "s3:DeleteObject"},
    "expire-uploads": {"s3:GetObject", "s3:DeleteObject"},
}
# ObjectStore calls (shared/src/ports/objects.rs) and the S3 actions the role needs for them (a
# presigned URL carries the role's credentials). HEAD also needs s3:ListBucket on the bucket, or
# S3 answers a missing object with 403 instead of 404; HEAD with checksums of SSE-KMS objects and
# presigned GETs need kms:Decrypt through S3, presigned SSE-KMS PUTs kms:GenerateDataKey too.
OBJECT_CALLS = {
    "presign_upload": {"s3:PutObject"},
    "presign_download": {"s3:GetObject"},
    "head": {"s3:GetObject"},
    "delete": {"s3:DeleteObject"},
}
LIST_BUCKET = "s3:ListBucket"
S3_KEY_ACTIONS = {
    "presign_upload": {"kms:GenerateDataKey", "kms:Decrypt"},
    "presign_download": {"kms:Decrypt"},
    "head": {"kms:Decrypt"},
}


def fn_bodies(source):
    """Rust functions of a module by name (top-level or in an impl, closing brace in column 0-4)."""
    bodies = {}
    for m in re.finditer(r"\n( {0,4})(?:pub(?:\([a-z]+\))? )?(?:async )?fn ([a-z_0-9]+)\b.*?\n\1\}\n", source, re.S):
        bodies.setdefault(m.group(2), m.group(0))
    return bodies


def object_calls(source, entry):
    """The ObjectStore calls reachable from entry within its module."""
    bodies = fn_bodies(source)
    seen, todo, calls = set(), [entry], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in bodies:
            continue
        seen.add(name)
        body = bodies[name]
        calls |= set(re.findall(r"\.objects\s*\.\s*([a-z_]+)\s*\(", body))
        todo += [callee for callee in bodies if callee not in seen and re.search(rf"(?<![.:\w]){callee}\s*\(", body)]
    return calls


code_calls = {}
for function, (module, name) in route_handlers.items():
    code_calls[function] = object_calls(handler_sources.get(module, ""), name)
for function in EVENT_FUNCTIONS:
    main_rs = pathlib.Path("functions", function, "src", "main.rs")
    wiring = re.search(r"Box::pin\(oms::consumers::([a-z_]+)::([a-z_]+)\(", main_rs.read_text()) if main_rs.is_file() else None
    if wiring is None:
        problems.append(f"{main_rs}: cannot find the handler (Box::pin(oms::consumers::<module>::<fn>(...)))")
        continue
    module = pathlib.Path("shared/src/consumers", f"{wiring.group(1)}.rs")
    code_calls[function] = object_calls(module.read_text() if module.is_file() else "", wiring.group(2))
code_actions = {}
for function, calls in code_calls.items():
    for call in sorted(calls - OBJECT_CALLS.keys()):
        problems.append(f"{function}: calls objects.{call}, for which this script knows no S3 permission")
    actions = set().union(*(OBJECT_CALLS.get(c, set()) for c in calls))
    if actions:
        code_actions[function] = actions
if code_actions != OBJECT_ACTIONS:
    problems.append(f"OBJECT_ACTIONS in this script is {OBJECT_ACTIONS}, but the code's object-store calls need {code_actions}")
for function, calls in code_calls.items():
    if calls:
        EXPECTED_ENV.setdefault(function, set()).add(BUCKET)
    if "presign_upload" in calls:
        EXPECTED_ENV[function].add(UPLOAD_KEY)

# Where objects live: the prefix of object_key (shared/src/domain/attachment.rs).
attachment_rs = pathlib.Path("shared/src/domain/attachment.rs").read_text()
prefix_match = re.search(r"fn object_key\b.*?format!\(\s*\"([^\"{]+/)\{", attachment_rs, re.S)
OBJECT_PREFIX = prefix_match.group(1) if prefix_match else None
if OBJECT_PREFIX is None:
    problems.append("shared/src/domain/attachment.rs: cannot read the object key prefix from object_key")

for function, (method, path, authenticated) in routes.items():
    if function in EVENT_FUNCTIONS:
        problems.append(f"route {method} {path}: {function} is also listed as an event function in this script")
    if function not in functions:
        problems.append(f"route {method} {path}: no function {function} in the template")
        continue
    logical_id, properties = functions[function]
    events = list(properties.get("Events", {}).values())
    apis = [e["Properties"] for e in events if e.get("Type") == "Api"]
    if len(apis) != 1 or len(events) != 1:
        problems.append(f"{logical_id}: expected exactly one event, of type Api; found {[e.get('Type') for e in events]}")
        if len(apis) != 1:
            continue
    event = apis[0]
    if (event.get("Method", "").upper(), event.get("Path")) != (method, path):
        problems.append(f"{logical_id}: serves {event.get('Method')} {event.get('Path')}, routes.rs says {method} {path}")
    open_route = event.get("Auth", {}).get("Authorizer") == "NONE"
    if open_route == authenticated:
        problems.append(f"{logical_id}: {method} {path} must {'use' if authenticated else 'not use'} the authorizer")


def getatt(value):
    """(resource, attribute) of a Fn::GetAtt in either form, else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        if isinstance(target, str):
            target = target.split(".", 1)
        return tuple(target)
    return None


def ref(value):
    return value.get("Ref") if isinstance(value, dict) else None


def as_list(value):
    return value if isinstance(value, list) else [value]


timeout_default = globals_fn.get("Timeout", 3)
failure_queues = {}  # on-failure destination queue -> the function writing to it
for function, (kind, source) in EVENT_FUNCTIONS.items():
    if function not in functions:
        if function in crates:
            continue  # reported above as a crate the template does not deploy
        problems.append(f"event function {function}: not in the template and no crate functions/{function}")
        continue
    logical_id, properties = functions[function]
    events = list(properties.get("Events", {}).values())
    if [e.get("Type") for e in events] != [kind]:
        problems.append(f"{logical_id}: expected exactly one {kind} event, found {[e.get('Type') for e in events]}")
        continue
    event = events[0].get("Properties", {})
    timeout = properties.get("Timeout", timeout_default)
    if kind == "SQS":
        if getatt(event.get("Queue")) != (source, "Arn"):
            problems.append(f"{logical_id}: must consume {source} (Queue: !GetAtt {source}.Arn), got {event.get('Queue')!r}")
        if "ReportBatchItemFailures" not in event.get("FunctionResponseTypes", []):
            problems.append(f"{logical_id}: the SQS event needs FunctionResponseTypes [ReportBatchItemFailures]")
        if not 1 <= int(event.get("BatchSize", 10)) <= 10:
            problems.append(f"{logical_id}: BatchSize must be 1..10 (the handler reports per message)")
        queue = resources.get(source, {}).get("Properties", {})
        window = int(event.get("MaximumBatchingWindowInSeconds", 0))
        visibility = int(queue.get("VisibilityTimeout", 30))
        if visibility < 6 * int(timeout) + window:
            problems.append(
                f"{source}: VisibilityTimeout {visibility} s is below 6 x {logical_id}'s {timeout} s timeout"
                f" + {window} s batching window"
            )
        redrive = queue.get("RedrivePolicy", {})
        if not redrive.get("deadLetterTargetArn") or not 1 <= int(redrive.get("maxReceiveCount", 0)) <= 10:
            problems.append(f"{source}: needs a RedrivePolicy into a dead-letter queue with maxReceiveCount 1..10")
    elif kind == "Schedule":
        if event.get("Schedule") != source:
            problems.append(f"{logical_id}: Schedule must be {source!r}, got {event.get('Schedule')!r}")
        if "Input" in event:
            problems.append(f"{logical_id}: no Input: the function expects EventBridge's Scheduled Event payload")
    elif kind == "S3":
        if ref(event.get("Bucket")) != source:
            problems.append(f"{logical_id}: the S3 event must be on {source} (Bucket: !Ref {source}), got {event.get('Bucket')!r}")
        s3_events = as_list(event.get("Events"))
        if not s3_events or not all(str(e).startswith("s3:ObjectCreated:") for e in s3_events):
            problems.append(f"{logical_id}: the S3 event must be for ObjectCreated (s3:ObjectCreated:*) only, got {s3_events!r}")
        rules = event.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        prefixes = [r.get("Value") for r in rules if str(r.get("Name", "")).lower() == "prefix"]
        if OBJECT_PREFIX and prefixes != [OBJECT_PREFIX]:
            problems.append(f"{logical_id}: the S3 event needs the key filter prefix {OBJECT_PREFIX!r}, got {prefixes!r}")
        # S3 invokes asynchronously: failed events are retried, then kept in an alarmed queue.
        invoke = properties.get("EventInvokeConfig", {})
        if not 1 <= int(invoke.get("MaximumRetryAttempts", 0)) <= 2:
            problems.append(f"{logical_id}: EventInvokeConfig.MaximumRetryAttempts must be set to 1 or 2 (got {invoke.get('MaximumRetryAttempts')!r})")
        on_failure = invoke.get("DestinationConfig", {}).get("OnFailure", {})
        destination = getatt(on_failure.get("Destination"))
        if on_failure.get("Type") != "SQS" or destination is None or destination[1] != "Arn":
            problems.append(f"{logical_id}: EventInvokeConfig needs an OnFailure destination of Type SQS (Destination: !GetAtt <queue>.Arn)")
        elif resources.get(destination[0], {}).get("Type") != "AWS::SQS::Queue":
            problems.append(f"{logical_id}: the OnFailure destination {destination[0]} is not an SQS queue of this template")
        else:
            failure_queues[destination[0]] = logical_id

# The API's Lambda TOKEN authorizer: neither a route nor an event consumer. It is the Api's default
# authorizer (Authorization header, results cached by token), has no event and no permissions
# (it touches no data; SAM adds the invoke permission for API Gateway) and knows its user pool.
AUTHORIZERS = {"authorizer": "TokenAuthorizer"}
api_auth = resources.get("Api", {}).get("Properties", {}).get("Auth", {})
for function, name in AUTHORIZERS.items():
    if function not in functions:
        problems.append(f"authorizer function {function}: not in the template")
        continue
    logical_id, properties = functions[function]
    spec = api_auth.get("Authorizers", {}).get(name, {})
    if api_auth.get("DefaultAuthorizer") != name:
        problems.append(f"Api: Auth.DefaultAuthorizer must be {name} (the {function} function)")
    if getatt(spec.get("FunctionArn")) != (logical_id, "Arn"):
        problems.append(f"Api: authorizer {name} must run {logical_id} (FunctionArn: !GetAtt {logical_id}.Arn)")
    if spec.get("FunctionPayloadType") != "TOKEN":
        problems.append(f"Api: authorizer {name} must be FunctionPayloadType TOKEN")
    identity = spec.get("Identity", {})
    if identity.get("Header") != "Authorization":
        problems.append(f"Api: authorizer {name} must read the Authorization header")
    if not 0 <= int(identity.get("ReauthorizeEvery", 300)) <= 300:
        problems.append(f"Api: authorizer {name}: ReauthorizeEvery above 300 s keeps revoked tokens longer than documented")
    if properties.get("Events"):
        problems.append(f"{logical_id}: the authorizer has no events (API Gateway invokes it)")
    if properties.get("Policies"):
        problems.append(f"{logical_id}: the authorizer needs no permissions (no database, no data)")
    env = merged_env(properties)
    for variable in ("OMS_COGNITO_USER_POOL_ID", "OMS_COGNITO_REGION", "OMS_COGNITO_APP_CLIENT_IDS", "OMS_COGNITO_TOKEN_USES"):
        if not env.get(variable):
            problems.append(f"{logical_id}: environment variable {variable} is missing")
for other in set(api_auth.get("Authorizers", {})) - set(AUTHORIZERS.values()):
    problems.append(f"Api: authorizer {other} is not one of this script's AUTHORIZERS")

for function in functions:
    if function not in routes and function not in EVENT_FUNCTIONS and function not in AUTHORIZERS:
        problems.append(f"function {function}: neither in shared/src/routes.rs, an event function nor an authorizer of this script")

# --- cache, idempotency, queue and bucket variables against the permissions ---------------------
# Each variable must point at the stack's resource, and a function may only be allowed what its
# variables let it reach: on the cache table PutItem (cache writers; GetItem too for the cache
# readers), and GetItem, PutItem and DeleteItem limited to items whose pk starts with
# "idempotency#" (Idempotency-Key users; a statement of its own, dynamodb:LeadingKeys);
# SendMessage on the queues it publishes to; on the attachments bucket exactly the object actions
# its object-store calls need, on <bucket>/attachments/* only (plus s3:ListBucket on the bucket
# itself where it HEADs objects), and the stack key through S3 for that bucket as those calls
# need it.
def allow_statements(properties):
    statements = []
    for policy in properties.get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in policy["Statement"]:
                if isinstance(statement, dict) and statement.get("Effect") == "Allow" and "Sid" in statement:
                    statements.append(statement)
    return statements


def unchecked_policy_parts(properties):
    """What allow_statements skips, bar Deny statements: SAM policy templates, managed policies,
    statements without a Sid and conditional (Fn::If) statements."""
    for policy in properties.get("Policies", []):
        if not (isinstance(policy, dict) and "Statement" in policy):
            yield policy
            continue
        for statement in policy["Statement"]:
            if not (isinstance(statement, dict) and "Sid" in statement and statement.get("Effect") in ("Allow", "Deny")):
                yield statement


def allowed(statements, action, resource):
    return any(
        action in as_list(s.get("Action")) and resource in [getatt(r) for r in as_list(s.get("Resource"))]
        for s in statements
    )


def leading_keys(statement):
    """The patterns a statement limits dynamodb:LeadingKeys to (ForAllValues:StringLike), else None."""
    keys = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    return None if keys is None else as_list(keys)


def table_key(statement):
    """kms:Decrypt of the stack key through DynamoDB, for the cache table only."""
    condition = statement.get("Condition", {}).get("StringEquals", {})
    return (
        "kms:Decrypt" in as_list(statement.get("Action"))
        and getatt(statement.get("Resource")) == ("KmsKey", "Arn")
        and "dynamodb." in str(condition.get("kms:ViaService"))
        and ref(condition.get("kms:EncryptionContext:aws:dynamodb:tableName")) == "CacheTable"
    )


TABLE = ("CacheTable", "Arn")
GET, PUT, DELETE = "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"
IDEMPOTENCY_KEYS = ["idempotency#*"]
QUEUE_VARIABLES = {CHANGES: "ChangeEventsQueue", PARKING: "StatusEventsDeadLetterQueue"}

# The attachments bucket, and how a function may name it: through the resource (!Ref, !GetAtt
# .Arn, !Sub "${AttachmentsBucket.Arn}/...") or, where the bucket's notification invokes the
# function (a reference back would be a circular dependency), by the bucket's fixed BucketName.
ATTACHMENTS = "AttachmentsBucket"
attachments_bucket = resources.get(ATTACHMENTS, {}).get("Properties", {})
bucket_name = attachments_bucket.get("BucketName")
bucket_name_sub = bucket_name.get("Fn::Sub") if isinstance(bucket_name, dict) else None
notified = {
    logical_id
    for logical_id, properties in functions.values()
    for e in properties.get("Events", {}).values()
    if e.get("Type") == "S3" and ref(e.get("Properties", {}).get("Bucket")) == ATTACHMENTS
}
if notified and not (isinstance(bucket_name_sub, str) and "${AWS::AccountId}" in bucket_name_sub and "${AWS::Region}" in bucket_name_sub):
    problems.append(
        f"{ATTACHMENTS}: notifies {sorted(notified)}, which must name it without referring to it: give it a"
        " BucketName (!Sub with ${AWS::AccountId} and ${AWS::Region}, bucket names are global)"
    )
ARN_PREFIX = "arn:${AWS::Partition}:s3:::"


# Neither cfn-lint nor sam validate reports a circular dependency that SAM's S3 event creates
# (the bucket's notification and DependsOn point at the function), so look for cycles here, with
# that edge added: Ref, GetAtt, Sub and DependsOn between resources.
def references(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value.split(".", 1)[0] if isinstance(value, str) else value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
            references(value, found)
    elif isinstance(node, list):
        for value in node:
            references(value, found)
    return found


graph = {}
for logical_id, resource in resources.items():
    properties = dict(resource.get("Properties", {}))
    if resource.get("Type") == "AWS::Serverless::Function":
        properties.pop("Events", None)  # SAM turns them into resources that depend on the function
    found = references(properties, set()) | set(as_list(resource.get("DependsOn", [])))
    graph[logical_id] = {name for name in found if name in resources}
for logical_id, properties in functions.values():
    for e in properties.get("Events", {}).values():
        if e.get("Type") == "S3" and ref(e.get("Properties", {}).get("Bucket")) in resources:
            graph[ref(e["Properties"]["Bucket"])].add(logical_id)
state, path = {}, []


def visit(node):
    state[node] = "open"
    path.append(node)
    for nxt in sorted(graph.get(node, ())):
        if state.get(nxt) == "open":
            problems.append(f"circular dependency: {' -> '.join(path[path.index(nxt):] + [nxt])}")
        elif nxt not in state:
            visit(nxt)
    path.pop()
    state[node] = "done"


for node in sorted(graph):
    if node not in state:
        visit(node)


def s3_target(value, by_name):
    """"bucket", "objects" (<bucket>/<OBJECT_PREFIX>*) or None, for a resource naming the bucket
    the way the function must (by_name: the fixed name; otherwise through the resource)."""
    if by_name:
        sub = value.get("Fn::Sub") if isinstance(value, dict) else None
        if bucket_name_sub and sub == ARN_PREFIX + bucket_name_sub:
            return "bucket"
        if bucket_name_sub and OBJECT_PREFIX and sub == f"{ARN_PREFIX}{bucket_name_sub}/{OBJECT_PREFIX}*":
            return "objects"
        return None
    if getatt(value) == (ATTACHMENTS, "Arn"):
        return "bucket"
    if isinstance(value, dict) and OBJECT_PREFIX and value.get("Fn::Sub") == f"${{{ATTACHMENTS}.Arn}}/{OBJECT_PREFIX}*":
        return "objects"
    return None


def via(statement, service):
    return f"{service}." in str(statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService"))


def check_bucket_access(binary, logical_id, properties, env, present, statements):
    by_name = logical_id in notified
    how = "by the bucket's BucketName (its notification invokes this function)" if by_name else "through the AttachmentsBucket resource"
    calls = code_calls.get(binary, set())
    if BUCKET in present:
        want = {"Fn::Sub": bucket_name_sub} if by_name else {"Ref": ATTACHMENTS}
        if env[BUCKET] != want:
            problems.append(f"{logical_id}: {BUCKET} must name {ATTACHMENTS} {how}: {want}")
    if UPLOAD_KEY in present:
        key = env[UPLOAD_KEY]
        if getatt(key) != ("KmsKey", "Arn") and ref(key) != "KmsKey":
            problems.append(f"{logical_id}: {UPLOAD_KEY} must be the stack key (!GetAtt KmsKey.Arn)")
        sse = attachments_bucket.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [{}])[0]
        default = sse.get("ServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
        if getatt(default) != ("KmsKey", "Arn") and ref(default) != "KmsKey":
            problems.append(f"{ATTACHMENTS}: default encryption must use the stack key, the one uploads ask for")
    if any(re.search(r"s3[:.]|S3", str(part)) for part in unchecked_policy_parts(properties)):
        problems.append(f"{logical_id}: S3 permissions only in Allow statements with a Sid (the ones checked here)")
    want_objects = set().union(*(OBJECT_CALLS.get(c, set()) for c in calls)) if calls else set()
    want_list = "head" in calls
    granted_objects, granted_list = set(), False
    for statement in statements:
        actions = [a for a in as_list(statement.get("Action")) if str(a).startswith("s3:")]
        if not actions:
            continue
        sid = statement["Sid"]
        if BUCKET not in present:
            problems.append(f"{logical_id}: statement {sid} allows {actions}, but {binary} has no {BUCKET}")
            continue
        targets = [s3_target(r, by_name) for r in as_list(statement.get("Resource"))]
        if None in targets or len(set(targets)) != 1:
            problems.append(
                f"{logical_id}: statement {sid} must name either the bucket or its {OBJECT_PREFIX}* objects, {how}"
                f" (got {statement.get('Resource')!r})"
            )
            continue
        for action in actions:
            if targets[0] == "objects" and action in want_objects:
                granted_objects.add(action)
            elif targets[0] == "bucket" and action == LIST_BUCKET and want_list:
                granted_list = True
            else:
                problems.append(
                    f"{logical_id}: statement {sid} allows {action} on the {targets[0]}; {binary}'s object-store"
                    f" calls {sorted(calls)} need only {sorted(want_objects)} on {OBJECT_PREFIX}*"
                    + (f" and {LIST_BUCKET} on the bucket" if want_list else "")
                )
    for action in sorted(want_objects - granted_objects):
        problems.append(f"{logical_id}: needs {action} on {ATTACHMENTS}/{OBJECT_PREFIX}* (object-store calls {sorted(calls)})")
    if want_list and not granted_list:
        problems.append(f"{logical_id}: needs {LIST_BUCKET} on {ATTACHMENTS} (HEAD of a missing object is 403 without it)")
    # The stack key through S3, for this bucket only.
    want_key = set().union(*(S3_KEY_ACTIONS.get(c, set()) for c in calls)) if calls else set()
    granted_key = set()
    for statement in statements:
        if not via(statement, "s3"):
            continue
        sid = statement["Sid"]
        context = statement.get("Condition", {})
        contexts = [
            value
            for operator in ("StringEquals", "StringLike")
            for value in as_list(context.get(operator, {}).get("kms:EncryptionContext:aws:s3:arn", []))
        ]
        if getatt(statement.get("Resource")) != ("KmsKey", "Arn") or not contexts or None in [s3_target(c, by_name) for c in contexts]:
            problems.append(
                f"{logical_id}: statement {sid} must allow only KmsKey, only for {ATTACHMENTS} and its objects"
                f" (kms:EncryptionContext:aws:s3:arn, {how})"
            )
            continue
        for action in as_list(statement.get("Action")):
            if action in want_key:
                granted_key.add(action)
            else:
                problems.append(f"{logical_id}: statement {sid} allows {action} through S3; {binary} needs only {sorted(want_key)}")
    for action in sorted(want_key - granted_key):
        problems.append(f"{logical_id}: needs {action} on KmsKey through S3 for {ATTACHMENTS} (object-store calls {sorted(calls)})")


for binary, (logical_id, properties) in functions.items():
    env = merged_env(properties)
    present = {name for name in (CACHE, IDEMPOTENCY, CHANGES, PARKING, BUCKET, UPLOAD_KEY) if name in env}
    want = EXPECTED_ENV.get(binary, set())
    for name in sorted(want - present):
        problems.append(f"{logical_id}: environment variable {name} is missing")
    for name in sorted(present - want):
        problems.append(f"{logical_id}: environment variable {name} is not used by {binary}")
    statements = allow_statements(properties)
    if any("dynamodb" in str(part).lower() for part in unchecked_policy_parts(properties)):
        problems.append(f"{logical_id}: DynamoDB permissions only in Allow statements with a Sid (the ones checked here)")
    table_statements = [s for s in statements if any(str(a).startswith("dynamodb:") for a in as_list(s.get("Action")))]
    # Which DynamoDB actions a statement may allow: on any key, what the cache needs; limited to
    # the idempotency records' keys, also what those need.
    on_any_key = set()
    if CACHE in present:
        on_any_key.add(PUT)
        if binary in CACHE_READERS:
            on_any_key.add(GET)
    on_idempotency_keys = on_any_key | ({GET, PUT, DELETE} if IDEMPOTENCY in present else set())
    for statement in table_statements:
        sid = statement["Sid"]
        if [getatt(r) for r in as_list(statement.get("Resource"))] != [TABLE]:
            problems.append(f"{logical_id}: statement {sid} allows DynamoDB actions on something other than CacheTable")
        keys = leading_keys(statement)
        if keys not in (None, IDEMPOTENCY_KEYS):
            problems.append(f"{logical_id}: statement {sid} limits dynamodb:LeadingKeys to {keys}, expected {IDEMPOTENCY_KEYS}")
        limited = keys == IDEMPOTENCY_KEYS
        for action in as_list(statement.get("Action")):
            if action in (on_idempotency_keys if limited else on_any_key):
                continue
            if action == GET and IDEMPOTENCY in present:
                why = "reads only its idempotency records: limit it to dynamodb:LeadingKeys idempotency#*"
            elif action == GET:
                why = "only the cache readers and the Idempotency-Key users may read the table"
            elif action == DELETE:
                why = "only the Idempotency-Key users may delete, and only their records (dynamodb:LeadingKeys idempotency#*)"
            elif action == PUT and IDEMPOTENCY in present:
                why = "writes only its idempotency records: limit it to dynamodb:LeadingKeys idempotency#*"
            else:
                why = f"none of {binary}'s variables needs it"
            problems.append(f"{logical_id}: statement {sid} allows {action}; {why}")
    any_key_statements = [s for s in statements if leading_keys(s) is None]
    if CACHE in present:
        if ref(env[CACHE]) != "CacheTable":
            problems.append(f"{logical_id}: {CACHE} must be !Ref CacheTable")
        if not allowed(any_key_statements, PUT, TABLE):
            problems.append(f"{logical_id}: needs dynamodb:PutItem on CacheTable (any key, for the cache)")
        if binary in CACHE_READERS and not allowed(any_key_statements, GET, TABLE):
            problems.append(f"{logical_id}: needs dynamodb:GetItem on CacheTable (any key, for the cache)")
    if IDEMPOTENCY in present:
        if ref(env[IDEMPOTENCY]) != "CacheTable":
            problems.append(f"{logical_id}: {IDEMPOTENCY} must be !Ref CacheTable")
        for action in (GET, PUT, DELETE):
            if not allowed(table_statements, action, TABLE):
                problems.append(f"{logical_id}: needs {action} on CacheTable (Idempotency-Key records)")
    if table_statements and not any(table_key(s) for s in statements):
        problems.append(f"{logical_id}: uses the KMS-encrypted CacheTable without kms:Decrypt through DynamoDB")
    sends = {getatt(r) for s in statements if "sqs:SendMessage" in as_list(s.get("Action")) for r in as_list(s.get("Resource"))}
    for name, queue in QUEUE_VARIABLES.items():
        if name in present:
            if ref(env[name]) != queue:
                problems.append(f"{logical_id}: {name} must be !Ref {queue}")
            if (queue, "Arn") not in sends:
                problems.append(f"{logical_id}: needs sqs:SendMessage on {queue}")
    expected_sends = {(QUEUE_VARIABLES[n], "Arn") for n in present if n in QUEUE_VARIABLES}
    for extra in sorted(sends - expected_sends, key=str):
        problems.append(f"{logical_id}: may send to {extra}, which none of its variables names")
    if sends and not any("kms:GenerateDataKey" in as_list(s.get("Action")) for s in statements):
        problems.append(f"{logical_id}: sends to KMS-encrypted queues without kms:GenerateDataKey")
    check_bucket_access(binary, logical_id, properties, env, present, statements)

# --- browsers: API CORS methods, the attachments bucket's CORS ------------------------------------
api_cors = resources.get("Api", {}).get("Properties", {}).get("Cors", {})
cors_methods = {m.strip().upper() for m in str(api_cors.get("AllowMethods", "")).strip("'").split(",")}
for method in sorted({m for m, _, _ in routes.values()} - cors_methods):
    problems.append(f"Api: Cors.AllowMethods lacks {method}, a method of shared/src/routes.rs")
# A presigned upload is a PUT with exactly the headers the registration returns (the SDK's
# presigned PutObject with content type, SSE-KMS and key, SHA-256 checksum; the browser sets
# Content-Length itself); a download is a GET.
UPLOAD_HEADERS = {
    "content-type",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-checksum-sha256",
    "x-amz-sdk-checksum-algorithm",
}
if any("presign_upload" in calls for calls in code_calls.values()):
    rules = attachments_bucket.get("CorsConfiguration", {}).get("CorsRules", [])
    for method in ("PUT", "GET"):
        fitting = [
            r
            for r in rules
            if method in as_list(r.get("AllowedMethods"))
            and any(ref(o) == "AllowedOrigin" for o in as_list(r.get("AllowedOrigins")))
        ]
        if not fitting:
            problems.append(f"{ATTACHMENTS}: no CORS rule allows {method} from !Ref AllowedOrigin")
        elif method == "PUT":
            headers = {str(h).lower() for r in fitting for h in as_list(r.get("AllowedHeaders", []))}
            missing = sorted(UPLOAD_HEADERS - headers) if "*" not in headers else []
            if missing:
                problems.append(f"{ATTACHMENTS}: the CORS rule for PUT must allow the upload headers {missing}")

# --- alarms, ERROR-line filters and the dashboard --------------------------------------------
alarms = [r.get("Properties", {}) for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"]
filters = [r.get("Properties", {}) for r in resources.values() if r.get("Type") == "AWS::Logs::MetricFilter"]
dashboard_body = resources.get("Dashboard", {}).get("Properties", {}).get("DashboardBody", "")
dashboard = dashboard_body.get("Fn::Sub", "") if isinstance(dashboard_body, dict) else str(dashboard_body)
if not isinstance(dashboard, str):
    dashboard = str(dashboard)


def alarmed(namespace, metric, dimension, target):
    return any(
        a.get("Namespace") == namespace
        and a.get("MetricName") == metric
        and any(d.get("Name") == dimension and target(d.get("Value")) for d in a.get("Dimensions", []))
        for a in alarms
    )


for binary, (logical_id, properties) in functions.items():
    for metric in ("Errors", "Throttles"):
        if not alarmed("AWS/Lambda", metric, "FunctionName", lambda v: ref(v) == logical_id):
            problems.append(f"{logical_id}: no {metric} alarm (AWS/Lambda {metric}, FunctionName !Ref {logical_id})")
    # The errors, throttles and duration widgets name each function once.
    if dashboard.count(f"${{{logical_id}}}") < 3:
        problems.append(f"Dashboard: {logical_id} is missing from the function widgets (errors, throttles, duration)")
    log_group = ref(properties.get("LoggingConfig", {}).get("LogGroup"))
    if log_group and not any(ref(f.get("LogGroupName")) == log_group and "ERROR" in str(f.get("FilterPattern")) for f in filters):
        problems.append(f"{logical_id}: no ERROR-line metric filter on {log_group}")
    if f"${{AWS::StackName}}-{binary}'" not in dashboard:
        problems.append(f"Dashboard: the ERROR log table does not read {binary}'s log group")
# Every dead-letter queue (a redrive target or an on-failure destination) has a not-empty alarm
# and a line on the dashboard; the function writing to an on-failure queue may use its key.
dead_letter_queues = set(failure_queues)
for logical_id, resource in resources.items():
    if resource.get("Type") == "AWS::SQS::Queue":
        target = getatt(resource.get("Properties", {}).get("RedrivePolicy", {}).get("deadLetterTargetArn"))
        if target:
            dead_letter_queues.add(target[0])
for queue in sorted(dead_letter_queues):
    if not alarmed("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", lambda v: getatt(v) == (queue, "QueueName")):
        problems.append(f"{queue}: dead-letter queue without an ApproximateNumberOfMessagesVisible alarm")
    if f"${{{queue}.QueueName}}" not in dashboard:
        problems.append(f"Dashboard: dead-letter queue {queue} is missing")
    if not resources[queue].get("Properties", {}).get("KmsMasterKeyId"):
        problems.append(f"{queue}: not KMS-encrypted")
for queue, logical_id in failure_queues.items():
    properties = next(p for lid, p in functions.values() if lid == logical_id)
    if not any(
        via(s, "sqs")
        and {"kms:GenerateDataKey", "kms:Decrypt"} <= set(as_list(s.get("Action")))
        and (queue, "Arn") in [getatt(v) for v in as_list(s.get("Condition", {}).get("StringEquals", {}).get("kms:EncryptionContext:aws:sqs:arn"))]
        for s in allow_statements(properties)
    ):
        problems.append(f"{logical_id}: Lambda sends failed events to {queue} with this role: needs kms:GenerateDataKey and kms:Decrypt through SQS for it")
# Every route's p95 latency is alarmed: reads against ReadLatencyThresholdMs, writes against
# WriteLatencyThresholdMs (per-method metrics, Method and Resource dimensions).
latency = {}
for a in alarms:
    for query in a.get("Metrics", []):
        metric = query.get("MetricStat", {}).get("Metric", {})
        if metric.get("Namespace") == "AWS/ApiGateway" and metric.get("MetricName") == "Latency":
            dims = {d.get("Name"): d.get("Value") for d in metric.get("Dimensions", [])}
            latency.setdefault((dims.get("Method"), dims.get("Resource")), set()).add(ref(a.get("Threshold")))
for function, (method, path, _) in routes.items():
    want = "ReadLatencyThresholdMs" if method == "GET" else "WriteLatencyThresholdMs"
    if want not in latency.get((method, path), set()):
        problems.append(f"route {method} {path} ({function}): no p95 latency alarm against {want}")

# --- samconfig.toml parameter overrides against the template's parameters -------------------
def check_value(env, key, value):
    spec = parameters.get(key)
    if spec is None:
        problems.append(f"samconfig [{env}]: {key} is not a template parameter")
        return
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        problems.append(f"samconfig [{env}]: {key}={value!r} not in {allowed}")
    pattern = spec.get("AllowedPattern")
    # A CommaDelimitedList's pattern applies to each of its items.
    items = value.split(",") if spec.get("Type") == "CommaDelimitedList" else [value]
    for item in items:
        if pattern and not re.fullmatch(pattern, item):
            problems.append(f"samconfig [{env}]: {key}={item!r} does not match {pattern}")
    if spec.get("Type") == "Number":
        number = float(value)
        if "MinValue" in spec and number < float(spec["MinValue"]):
            problems.append(f"samconfig [{env}]: {key}={value} below {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            problems.append(f"samconfig [{env}]: {key}={value} above {spec['MaxValue']}")

samconfig = tomlkit.parse(pathlib.Path("samconfig.toml").read_text())
for env in ("dev", "staging", "prod"):
    deploy = samconfig.get(env, {}).get("deploy", {}).get("parameters")
    if deploy is None:
        problems.append(f"samconfig.toml: no [{env}.deploy.parameters]")
        continue
    overrides = deploy.get("parameter_overrides", [])
    if isinstance(overrides, str):
        overrides = overrides.split()
    values = {}
    for item in overrides:
        key, _, value = str(item).partition("=")
        values[key] = value.strip('"')
        check_value(env, key, values[key])
    for key, spec in parameters.items():
        if "Default" not in spec and key not in values:
            problems.append(f"samconfig [{env}]: required parameter {key} is not set")
    if values.get("Stage") != env:
        problems.append(f"samconfig [{env}]: Stage should be {env}")
    if values.get("CreateDatabaseCluster", "false") == "false":
        for key in ("ExistingDbClusterArn", "ExistingDbSecretArn"):
            if not values.get(key):
                problems.append(f"samconfig [{env}]: {key} is required when CreateDatabaseCluster is false")
    if "CAPABILITY_IAM" not in str(deploy.get("capabilities", "")):
        problems.append(f"samconfig [{env}]: capabilities must include CAPABILITY_IAM")
    if deploy.get("region") != "eu-west-1":
        problems.append(f"samconfig [{env}]: region should be eu-west-1")
    if deploy.get("resolve_s3") is not True:
        problems.append(f"samconfig [{env}]: resolve_s3 should be true")
if samconfig.get("prod", {}).get("deploy", {}).get("parameters", {}).get("confirm_changeset") is not True:
    problems.append("samconfig [prod]: confirm_changeset must be true")

for problem in problems:
    print(f"  {problem}")
print(
    f"{len(functions)} functions, {len(crates)} crates, {len(routes)} routes, {len(EVENT_FUNCTIONS)} event functions"
    f" checked; {len(problems)} problem(s)"
)
sys.exit(1 if problems else 0)
PY
}

sam_validate() {
  "$VENV/bin/sam" validate --lint --template "$TEMPLATE" --region "$REGION"
}

cfn_lint() {
  # Non-zero on any error or warning; prints nothing when clean.
  # (set -e does not apply inside a function called from `if`, hence the explicit return.)
  "$VENV/bin/cfn-lint" --format parseable -- "$TEMPLATE" || return 1
  echo "cfn-lint: no errors, no warnings"
}

checkov_scan() {
  # Non-zero when any check fails. --quiet prints only failures plus the summary line.
  "$VENV/bin/checkov" -f "$TEMPLATE" --framework cloudformation --quiet --compact --skip-download
}

step "consistency (template, crates, routes, samconfig)" consistency
step "sam validate --lint" sam_validate
step "cfn-lint" cfn_lint
step "checkov" checkov_scan

echo
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All template checks passed."
