#!/usr/bin/env bash
# Runs a command inside a private network namespace made for this run: loopback plus a veth pair
# (named pdu0/pdu1, since werift skips interfaces named veth*) with addresses and a default route,
# so Chromium and werift gather ICE candidates while nothing can leave the machine by construction.
# Where namespaces are unavailable (not root, not Linux) it runs the command directly and says so.
set -euo pipefail
if [ "${PDU_NETNS:-}" = 1 ]; then exec "$@"; fi
if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
  && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c '
    set -e
    ip link set lo up
    ip link add pdu0 type veth peer name pdu1
    ip addr add 10.77.0.1/24 dev pdu0
    ip addr add 10.77.0.2/24 dev pdu1
    ip link set pdu0 up
    ip link set pdu1 up
    ip route add default via 10.77.0.2
    export PDU_NETNS=1
    exec "$@"' netns-run "$@"
fi
echo "netns-run: no private network namespace here (needs root on Linux); running without network isolation"
exec "$@"
