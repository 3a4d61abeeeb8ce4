#!/usr/bin/env bash
# Mutation testing of the policy-critical core with mutmut; prints the score per module.
# Not part of the regular test run: it takes a while. Usage: scripts/mutation.sh [module ...]
# (module names as dotted paths under core/, e.g. `policy.quiet guard.rules`; default: every module in [tool.mutmut]).
#
# mutmut 3 only looks for code under ./, src/ or source/, so it runs in a fresh staging copy
# (.mutation/; mutmut's cache keeps a survivor's verdict after new tests were added, so
# nothing is kept between runs) where
# server/stitch_ls is src/stitch_ls. Only in-process tests are selected (tests/core): a test
# that starts a subprocess (the CLI, the servers) runs the unmutated package.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=${MUTATION_DIR:-$ROOT/.mutation}

if ! .venv/bin/python -c 'import mutmut' 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,mutation]' 2>&1 \
    | { grep -v "^WARNING: Location '" || true; }
fi

rm -rf "$STAGE"
mkdir -p "$STAGE/src"
cp -a server/stitch_ls "$STAGE/src/stitch_ls"
cp -a tests "$STAGE/tests"
cp pyproject.toml "$STAGE/pyproject.toml"

cd "$STAGE"
names=()
for module in "$@"; do names+=("stitch_ls.core.$module.*"); done
# mutmut's exit status is not the score: a run with survivors still exits 0
"$ROOT/.venv/bin/mutmut" run ${names[@]+"${names[@]}"} >"$STAGE/run.log" 2>&1 \
  || { tail -40 "$STAGE/run.log"; exit 1; }

"$ROOT/.venv/bin/python" "$ROOT/scripts/mutation_score.py" "$@"
