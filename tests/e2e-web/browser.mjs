// Headless Debian chromium through playwright-core (no browser download).
import { chromium } from 'playwright-core';
import fs from 'node:fs';

export const CHROMIUM = process.env.KB_CHROMIUM || '/usr/bin/chromium';

export function chromiumAvailable() {
  return fs.existsSync(CHROMIUM);
}

// Without the background-networking flags chromium keeps dialling Google's
// hosts, which this closed network refuses.
// `extraArgs` adds chromium flags (e.g. --host-resolver-rules to point a
// name at 127.0.0.1, as DNS rebinding does).
export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', ...extraArgs],
  });
}
