#!/usr/bin/env bash
# Offline checks for the SAM deployment (template.yaml and samconfig.toml). Needs no AWS account,
# no Docker and no network once the tools are installed, and never builds Rust.
#
#   scripts/check-template.sh            # every check
#   OMS_VENV=/path/to/venv scripts/check-template.sh
#
# 1. consistency: template.yaml against the crates under functions/ (each one deployed), the
#    route table in shared/src/routes.rs (HTTP functions), the event sources of the three event
#    functions (SQS, SQS, Schedule), the variables each function needs (database everywhere;
#    cache table and queue URLs where the code uses them) with matching permissions, and the
#    parameter overrides in samconfig.toml
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
routes = {
    m.group(1): (m.group(2), m.group(3), m.group(4) == "true")
    for m in re.finditer(r'route!\(\s*"([^"]+)",\s*"([A-Z]+)",\s*"([^"]+)",\s*(true|false)\s*,', routes_rs)
}
if not routes:
    problems.append("shared/src/routes.rs: no route!(...) entries found")

# The functions without a route: their event source (and, for SQS, the queue they consume).
EVENT_FUNCTIONS = {
    "cache-invalidation": ("SQS", "ChangeEventsQueue"),
    "opportunity-status-events": ("SQS", "StatusEventsQueue"),
    "outbox-relay": ("Schedule", "rate(1 minute)"),
}

# Besides the database, the variables App::from_env reads for each function (shared/src/app.rs):
# every write route publishes change events (shared/src/consumers/mod.rs, after_commit), and all
# but the two catalog creations also write the cache through; of the reads only get-opportunity
# and list-skills use the cache (shared/src/handlers).
CACHE = "OMS_CACHE_TABLE"
CHANGES = "OMS_CHANGE_EVENTS_QUEUE_URL"
PARKING = "OMS_DEAD_LETTER_QUEUE_URL"
CACHE_READERS = {"get-opportunity", "list-skills"}
PUBLISH_ONLY = {"create-customer", "create-skill"}  # after_commit(app, None, ...): no cache entry
EXPECTED_ENV = {
    "cache-invalidation": {CACHE},
    "opportunity-status-events": {CACHE, CHANGES, PARKING},
    "outbox-relay": {CHANGES},
}
for function, (method, _, _) in routes.items():
    if method != "GET":
        EXPECTED_ENV[function] = {CHANGES} if function in PUBLISH_ONLY else {CACHE, CHANGES}
    else:
        EXPECTED_ENV[function] = {CACHE} if function in CACHE_READERS else set()

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


timeout_default = globals_fn.get("Timeout", 3)
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

for function in functions:
    if function not in routes and function not in EVENT_FUNCTIONS:
        problems.append(f"function {function}: neither in shared/src/routes.rs nor an event function of this script")

# --- cache and queue variables against the permissions ------------------------------------------
# Each variable must point at the stack's resource, and a function may only be allowed what its
# variables let it reach: PutItem on the cache table, SendMessage on the queues it publishes to.
def allow_statements(properties):
    statements = []
    for policy in properties.get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in policy["Statement"]:
                if isinstance(statement, dict) and statement.get("Effect") == "Allow" and "Sid" in statement:
                    statements.append(statement)
    return statements


def as_list(value):
    return value if isinstance(value, list) else [value]


def allowed(statements, action, resource):
    return any(
        action in as_list(s.get("Action")) and resource in [getatt(r) for r in as_list(s.get("Resource"))]
        for s in statements
    )


QUEUE_VARIABLES = {CHANGES: "ChangeEventsQueue", PARKING: "StatusEventsDeadLetterQueue"}
for binary, (logical_id, properties) in functions.items():
    env = merged_env(properties)
    present = {name for name in (CACHE, CHANGES, PARKING) if name in env}
    want = EXPECTED_ENV.get(binary, set())
    for name in sorted(want - present):
        problems.append(f"{logical_id}: environment variable {name} is missing")
    for name in sorted(present - want):
        problems.append(f"{logical_id}: environment variable {name} is not used by {binary}")
    statements = allow_statements(properties)
    table_actions = {a for s in statements for a in as_list(s.get("Action")) if str(a).startswith("dynamodb:")}
    if CACHE in present:
        if ref(env[CACHE]) != "CacheTable":
            problems.append(f"{logical_id}: {CACHE} must be !Ref CacheTable")
        if not allowed(statements, "dynamodb:PutItem", ("CacheTable", "Arn")):
            problems.append(f"{logical_id}: needs dynamodb:PutItem on CacheTable")
        if binary in CACHE_READERS and not allowed(statements, "dynamodb:GetItem", ("CacheTable", "Arn")):
            problems.append(f"{logical_id}: needs dynamodb:GetItem on CacheTable")
        if binary not in CACHE_READERS and "dynamodb:GetItem" in table_actions:
            problems.append(f"{logical_id}: only writes the cache, yet may read it (dynamodb:GetItem)")
    elif table_actions:
        problems.append(f"{logical_id}: DynamoDB permissions without {CACHE}")
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
