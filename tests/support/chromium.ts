// Chromium flags for tests and benchmarks (ENVIRONMENT.md): no background networking, so the
// browser never tries to reach Google's hosts, and real host candidates instead of mDNS names.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
