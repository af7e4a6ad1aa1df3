#!/usr/bin/env bash
# Cohort assignment: the Rust benchmark (`cargo bench --bench assignment`), then the
# first cohort solved again with scipy's linear_sum_assignment, to compare the optimal
# totals (they must agree within 1e-9) and the times. numpy and scipy go into a virtual
# environment under target/.
#
#   scripts/bench-assignment.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/scipy-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy scipy
export_dir=$(mktemp -d)
trap 'rm -rf "$export_dir"' EXIT
ASSIGNMENT_EXPORT_DIR=$export_dir cargo bench --bench assignment
"$venv/bin/python" scripts/assignment_reference.py "$export_dir"
