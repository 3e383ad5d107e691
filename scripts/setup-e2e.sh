#!/usr/bin/env bash
# Installs the real VS Code used by the end-to-end tests and `npm run try`: code-server 4.100.3 from npm into
# a cache folder (not a project dependency), offline but for the npm registry. See shared notes/vscode-e2e.md.
# System packages first (as root): apt-get install -y chromium ripgrep libkrb5-dev build-essential python3
# Usage: scripts/setup-e2e.sh [--no-browser]   (FLOWLENS_E2E_CACHE overrides the cache folder, default .cache/e2e;
# --no-browser: for `npm run try`, which needs no Chromium of its own)
set -euo pipefail
cd "$(dirname "$0")/.."
CS_VERSION=4.100.3
CACHE=${FLOWLENS_E2E_CACHE:-$PWD/.cache/e2e}
DIR=$CACHE/code-server-$CS_VERSION-node$(node -p 'process.versions.node.split(".")[0]')
if [ -x "$DIR/node_modules/.bin/code-server" ]; then
  echo "code-server $CS_VERSION already in $DIR"
  exit 0
fi
# every missing prerequisite in one message, before anything is installed: rg (code-server's search, given to
# @vscode/ripgrep below), python3, make, g++ and krb5-config (code-server's native modules), chromium (the tests)
TOOLS="rg:ripgrep python3:python3 make:build-essential g++:build-essential krb5-config:libkrb5-dev"
[ "${1:-}" = "--no-browser" ] || TOOLS="$TOOLS chromium:chromium"
MISSING=() PKGS=()
for t in $TOOLS; do
  command -v "${t%%:*}" >/dev/null || { MISSING+=("${t%%:*}"); [[ " ${PKGS[*]} " == *" ${t#*:} "* ]] || PKGS+=("${t#*:}"); }
done
if [ ${#MISSING[@]} -gt 0 ]; then
  echo "missing ${MISSING[*]}: install with (as root) apt-get install -y ${PKGS[*]}" >&2
  exit 1
fi
# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache holds the tarball: give it Debian's rg.
RG_PKG=1.15.11 RG_VERSION=v13.0.0-10
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
RGC=$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PKG
mkdir -p "$RGC"
[ -f "$RGC/ripgrep-$RG_VERSION-$RG_TARGET.tar.gz" ] || tar czf "$RGC/ripgrep-$RG_VERSION-$RG_TARGET.tar.gz" -C "$(dirname "$(command -v rg)")" rg
TMP=$DIR.partial
rm -rf "$TMP"; mkdir -p "$TMP"
echo '{"private":true}' > "$TMP/package.json"
echo "installing code-server $CS_VERSION into $DIR (about a minute)"
(cd "$TMP" && npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION")
rm -rf "$DIR"; mv "$TMP" "$DIR"
echo "code-server ready: $DIR/node_modules/.bin/code-server"
