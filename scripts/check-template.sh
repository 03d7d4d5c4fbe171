#!/usr/bin/env bash
# Offline checks for the SAM deployment (template.yaml and samconfig.toml). Needs no AWS account,
# no Docker and no network once the tools are installed, and never builds Rust.
#
#   scripts/check-template.sh            # every check
#   OMS_VENV=/path/to/venv scripts/check-template.sh
#
# 1. consistency: template.yaml against the crates under functions/, the route table in
#    shared/src/routes.rs and the parameter overrides in samconfig.toml
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
"""template.yaml against functions/*, shared/src/routes.rs and samconfig.toml."""
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

# A crate may exist before its function is wired into the template (work in progress): that
# is reported, but only the other direction (a function without a crate) fails the check.
crates = sorted(p.parent.name for p in pathlib.Path("functions").glob("*/Cargo.toml"))
for crate in crates:
    if crate not in functions:
        print(f"  warning: functions/{crate} is not deployed by template.yaml yet")

globals_fn = template.get("Globals", {}).get("Function", {})
for binary, (logical_id, properties) in functions.items():
    merged = {**globals_fn, **properties}
    for key, want in (("Runtime", "provided.al2023"), ("Architectures", ["arm64"]), ("Handler", "bootstrap")):
        if merged.get(key) != want:
            problems.append(f"{logical_id}: {key} must be {want!r} (got {merged.get(key)!r})")
    logging = properties.get("LoggingConfig", {})
    if logging.get("LogFormat") != "JSON" or "LogGroup" not in logging:
        problems.append(f"{logical_id}: LoggingConfig needs LogFormat JSON and its own LogGroup")

# --- API events against the route table ------------------------------------------------------
routes_rs = pathlib.Path("shared/src/routes.rs").read_text()
routes = {
    m.group(1): (m.group(2), m.group(3), m.group(4) == "true")
    for m in re.finditer(r'route!\(\s*"([^"]+)",\s*"([A-Z]+)",\s*"([^"]+)",\s*(true|false)\s*,', routes_rs)
}
if not routes:
    problems.append("shared/src/routes.rs: no route!(...) entries found")
for function, (method, path, authenticated) in routes.items():
    if function not in functions:
        problems.append(f"route {method} {path}: no function {function} in the template")
        continue
    logical_id, properties = functions[function]
    apis = [e["Properties"] for e in properties.get("Events", {}).values() if e.get("Type") == "Api"]
    if len(apis) != 1:
        problems.append(f"{logical_id}: expected one Api event, found {len(apis)}")
        continue
    event = apis[0]
    if (event.get("Method", "").upper(), event.get("Path")) != (method, path):
        problems.append(f"{logical_id}: serves {event.get('Method')} {event.get('Path')}, routes.rs says {method} {path}")
    open_route = event.get("Auth", {}).get("Authorizer") == "NONE"
    if open_route == authenticated:
        problems.append(f"{logical_id}: {method} {path} must {'use' if authenticated else 'not use'} the authorizer")
for function in functions:
    if function not in routes:
        problems.append(f"function {function}: not in shared/src/routes.rs")

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
    if pattern and not re.fullmatch(pattern, value):
        problems.append(f"samconfig [{env}]: {key}={value!r} does not match {pattern}")
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
print(f"{len(functions)} functions, {len(crates)} crates, {len(routes)} routes checked; {len(problems)} problem(s)")
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
