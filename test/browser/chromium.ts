/** The system Chromium the browser tests drive (installed by global-setup.ts; never downloaded). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The machine has no network: without the background-networking flags Chromium keeps trying (and failing)
 * to reach Google's services.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
