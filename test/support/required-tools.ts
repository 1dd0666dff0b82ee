/**
 * Vitest global setup: the suite runs the built CloudFront Function under njs and drives Debian's
 * Chromium, so a machine without them fails at once, saying what to install, instead of skipping
 * or failing test by test.
 */
import { spawnSync } from 'node:child_process';

const TOOLS = [
  { command: 'njs', args: ['-v'], install: 'apt-get install -y njs (Debian/Ubuntu, as root)' },
  { command: '/usr/bin/chromium', args: ['--version'], install: 'apt-get install -y chromium (Debian, as root; the browser tests drive it)' },
];

export default function requireTools(): void {
  const missing = TOOLS.filter((tool) => spawnSync(tool.command, tool.args).error !== undefined);
  if (missing.length > 0) {
    throw new Error(`the test suite needs ${missing.map((t) => `${t.command}: ${t.install}`).join('; ')}`);
  }
}
