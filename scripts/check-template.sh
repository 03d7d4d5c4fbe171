#!/usr/bin/env bash
# Offline checks for the SAM deployment (template.yaml and samconfig.toml). Needs no AWS account,
# no Docker and no network once the tools are installed, and never builds Rust.
#
#   scripts/check-template.sh            # every check
#   OMS_VENV=/path/to/venv scripts/check-template.sh
#
# The consistency of template.yaml with the code is checked by the Rust tests
# (tests/it/template_consistency.rs: the fleet section is what shared/src/fleet/manifest.rs renders,
# crates, features, routes, events, environment, reference cycles, samconfig.toml). Here:
# 1. resources     the stack after the SAM transform (aws-sam-translator, offline), within budget
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
# CloudFormation allows 500 resources a stack; this leaves room for growth.
RESOURCE_BUDGET=400

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

resource_budget() {
  # The stack after the SAM transform, counted offline; fails above the budget.
  "$VENV/bin/python" scripts/count-stack-resources.py "$TEMPLATE" "$RESOURCE_BUDGET"
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

step "resources after the SAM transform (budget $RESOURCE_BUDGET of 500)" resource_budget
step "sam validate --lint" sam_validate
step "cfn-lint" cfn_lint
step "checkov" checkov_scan

echo
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All template checks passed."
