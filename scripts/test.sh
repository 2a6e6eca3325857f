#!/usr/bin/env bash
# The README's test command (`make test`) and CI's: real Kafka and Redis up, pytest, both down.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k dead_letter`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The trap comes first, so a start that fails half-way still stops what it started.
trap 'scripts/services.sh stop' EXIT
scripts/services.sh start
eval "$(scripts/services.sh env)"

# Doctests of the pure core run with the tests: they are its specification.
.venv/bin/python -m pytest --doctest-modules tests models offers streams "$@"
.venv/bin/lint-imports
.venv/bin/mypy
