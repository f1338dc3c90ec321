import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, with the flags this machine needs (TESTING.md): no sandbox as root, and none of the
 * background networking that a closed network refuses. A fresh profile per launch is playwright's own default.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}
