#!/usr/bin/env bash
# Installs what the VS Code extension's tests need, idempotently (a second run is a no-op):
#   - Debian packages: chromium (the browser the end-to-end test drives), ripgrep (seeds
#     code-server's ripgrep download, which cannot reach GitHub here), libkrb5-dev (code-server's
#     kerberos module builds from source);
#   - the extension's npm packages (client-vscode/node_modules);
#   - code-server and playwright-core (client-vscode/e2e/node_modules), kept apart so the
#     extension's own install stays small.
# Called by the project's scripts/test.sh and by tests/vscode's session fixture.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

log() { echo "setup-e2e: $*" >&2; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q "ok installed" || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or install them)"; exit 1
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

# @vscode/ripgrep (code-server's dependency) downloads rg from GitHub in its postinstall unless
# this cache file exists; Debian's rg stands in for it.
tmp="${TMPDIR:-/tmp}"
cache="$tmp/vscode-ripgrep-cache-1.15.11"
archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$archive" ]; then
  mkdir -p "$cache"
  stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar -C "$stage" -czf "$archive.part" rg
  mv "$archive.part" "$archive"
  rm -rf "$stage"
fi

# npm ci only when the lock file changed since the last install.
install() {
  local dir="$1" stamp="$1/node_modules/.stitch-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "npm ci in $dir"
  (cd "$dir" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

install "$here"
install "$here/e2e"
log "ready"
