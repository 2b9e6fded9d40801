#!/usr/bin/env bash
# Install the Debian packages named on the command line that are not installed yet (idempotent, quiet when there is
# nothing to do). `make test` and `make dev` call it for what they need outside Python and npm: Chromium and CJK fonts
# for the browser tests, poppler-utils for reading PDFs back. Needs root (CI and the dev machines run as root) or sudo.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine; refresh once, then install.
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
