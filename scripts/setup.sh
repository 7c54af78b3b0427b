#!/usr/bin/env bash
# Set up ctanb on a Debian machine: system packages (as root), the virtual environment
# .venv at the repository root with ctanb installed, the npm packages and the Aladin Lite
# assets. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(postgresql-15 postgresql-15-pgsphere stilts graphviz chromium)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js may come from elsewhere than Debian (it often bundles npm): look for the commands.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "ctanb setup: missing Debian packages: ${missing[*]}" >&2
        echo "  install them as root: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "ctanb setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "ctanb needs Python >= 3.11"'
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.ctanb-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
    echo "ctanb setup: installing ctanb and its dependencies into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[hub,lab,test,dev]"
    touch "$stamp"
fi

if [[ -f package.json ]]; then
    if [[ -f scripts/install_node.sh ]]; then
        bash scripts/install_node.sh
    elif [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
        npm ci --no-audit --no-fund --silent
    fi
fi
if .venv/bin/python -c "import ctanb.widgets.aladin" 2>/dev/null; then
    .venv/bin/python -m ctanb.widgets.aladin >/dev/null
fi
echo "ctanb setup: ready (.venv/bin/ctanb)"
