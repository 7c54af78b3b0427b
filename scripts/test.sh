#!/usr/bin/env bash
# The test command: set up, then the fast checks (lint, format, spelling, types, docs),
# then the whole test suite with coverage. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export PATH="$PWD/.venv/bin:$PATH"
step() { printf '\n==> %s\n' "$*"; }

step "ruff check"; ruff check ctanb tests benchmarks scripts
step "ruff format --check"; ruff format --check ctanb tests benchmarks scripts
step "codespell"; codespell ctanb tests benchmarks README.md
step "mypy"; mypy ctanb
step "import contracts"; lint-imports --no-cache
if [[ -f scripts/docs.sh ]]; then step "docs"; bash scripts/docs.sh; fi

step "pytest"
mkdir -p test-artifacts
exec pytest --cov=ctanb --cov-report=term:skip-covered "$@"
