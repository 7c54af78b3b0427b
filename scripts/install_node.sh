#!/usr/bin/env bash
# Install the project's npm packages (package.json / package-lock.json) into node_modules at the
# repository root: configurable-http-proxy (JupyterHub's proxy), oidc-provider (the OpenID
# Connect provider of the hub login test) and aladin-lite (served locally to the widgets).
# Idempotent: does nothing when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
    echo "install_node: npm not found: install Node.js >= 20 with npm (e.g. apt-get install nodejs npm)" >&2
    exit 1
fi
# npm writes node_modules/.package-lock.json after every install: when it is newer than the
# lock file and the packages are there, node_modules is up to date.
stamp=node_modules/.package-lock.json
if [[ -f $stamp && ! package-lock.json -nt $stamp ]] \
    && [[ -x node_modules/.bin/configurable-http-proxy && -d node_modules/oidc-provider \
        && -f node_modules/aladin-lite/dist/aladin.js ]]; then
    exit 0
fi
if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --silent
else
    npm install --no-audit --no-fund --silent
fi
echo "install_node: npm packages installed in node_modules"
