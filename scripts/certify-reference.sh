#!/usr/bin/env bash
# The main job: build imgconf and certify its built-in reference server (no --endpoint).
# Reports go to reports/; extra arguments are passed to `imgconf run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release
mkdir -p reports
exec target/release/imgconf run --junit reports/junit.xml "$@"
