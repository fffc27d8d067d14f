#!/usr/bin/env bash
# Parse the HCL rendering of every stack with `terraform fmt` (no providers needed), where terraform exists.
# fmt exits non-zero on a syntax error; its style rewrites (e.g. "${x}" → x) are not errors.
set -euo pipefail
if ! command -v terraform >/dev/null 2>&1; then
  echo "check-hcl: no terraform binary; skipped"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CHECKPOINT_DISABLE=1 npx cdktf synth --hcl --output "$out" >/dev/null
terraform fmt -recursive -list=false "$out"
echo "check-hcl: terraform fmt parsed $(find "$out/stacks" -name 'cdk.tf' | wc -l) stacks"
