#!/usr/bin/env bash
# Make sure Debian's chromium is installed at /usr/bin/chromium (the browser
# tests drive it through Playwright). Installs it with apt-get when missing:
# directly as root, through sudo otherwise. Exits non-zero with an explanation
# when it cannot.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { printf 'ensure_chromium: %s\n' "$*" >&2; }

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    say "$CHROMIUM is missing and apt-get is not available."
    say "Install Debian's 'chromium' package (the browser tests need $CHROMIUM)."
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    # Without a terminal sudo cannot ask for a password: fail instead of hanging.
    if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
else
    say "$CHROMIUM is missing and we are not root (and sudo is not installed)."
    say "Run as root: apt-get update && apt-get install -y chromium"
    exit 1
fi

say "$CHROMIUM is missing; installing Debian's 'chromium' package with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update; then
    say "apt-get update failed"
    exit 1
fi
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; then
    say "apt-get install chromium failed"
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    say "the 'chromium' package is installed but $CHROMIUM is still missing"
    exit 1
fi
say "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
