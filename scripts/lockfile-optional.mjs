#!/usr/bin/env node
// Keeps package-lock.json usable by `npm ci` everywhere.
//
// npm records a platform-specific optional dependency (e.g. @biomejs/cli-darwin-arm64) in the lock
// only if the registry serves its manifest. A registry mirror that serves only this machine's
// platform makes npm drop those entries, and `npm ci` then refuses the lock as "out of sync"
// ("Missing: @biomejs/cli-android-arm64@ from lock file"). This script adds an entry (name and
// version, marked optional) for every optional dependency the lock lacks; npm skips them on
// platforms they do not fit, as it does for complete entries.
//
// Usage: node scripts/lockfile-optional.mjs          fix package-lock.json in place
//        node scripts/lockfile-optional.mjs --check  exit 1 listing missing entries (npm test runs this)
import { readFileSync, writeFileSync } from 'node:fs';

const check = process.argv.includes('--check');
const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const missing = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    if (packages[`node_modules/${name}`] || packages[`${path}/node_modules/${name}`]) continue;
    missing.push(name);
    packages[`node_modules/${name}`] = { version, ...(entry.dev ? { dev: true } : {}), optional: true };
  }
}
if (check) {
  if (missing.length > 0) {
    console.error(
      `package-lock.json lacks ${missing.length} optional dependencies (npm ci would fail): ${missing.join(', ')}`,
    );
    console.error('fix: node scripts/lockfile-optional.mjs');
    process.exit(1);
  }
  process.exit(0);
}
const sorted = Object.entries(packages).sort(([a], [b]) =>
  a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
);
lock.packages = Object.fromEntries(sorted);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${missing.length} optional entries`);
