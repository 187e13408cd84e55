#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian machine: the npm packages (from the
# lock file), Debian's Chromium (Playwright cannot download its own browser here), nftables and
# iproute2 (test network namespace and egress check), socat (link emulator). System packages are
# installed only when missing, and only where apt-get and root are available; elsewhere it says
# what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
command -v nft >/dev/null || missing+=(nftables)
command -v ip >/dev/null || missing+=(iproute2)
command -v socat >/dev/null || missing+=(socat)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not installing ${missing[*]} (needs root and apt-get); set CHROMIUM_PATH for another Chromium"
  fi
fi

npm ci --no-audit --no-fund
