#!/usr/bin/env bash
# Build the HTML documentation offline; any warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/sphinx-build -q -W --keep-going -b html docs docs/_build/html
