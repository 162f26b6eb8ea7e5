#!/usr/bin/env node
// cutover's sample stateful agent: keeps its memory in its ordinal's state directory
// ($CUTOVER_STATE_DIR, spec.stateful) and holds a lock file there while it runs, so two processes
// on one state directory show at once (the second one exits 1 and says so in $JOURNAL).
// Environment:
//   PORT, VERSION (default "v1"), CUTOVER_STATE_DIR, CUTOVER_REPLICA_ORDINAL (set by cutover)
//   JOURNAL   a file every start and stop is appended to: "<event> <ordinal> <version> <ms>"
// Endpoints: GET /healthz (200), GET / ({"ordinal", "version", "history"}: the versions that ran
// on this state directory, oldest first).
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const dir = process.env.CUTOVER_STATE_DIR;
const ordinal = process.env.CUTOVER_REPLICA_ORDINAL ?? '?';
const version = process.env.VERSION ?? 'v1';
const journal = process.env.JOURNAL;
const note = (event) => {
  if (journal) appendFileSync(journal, `${event} ${ordinal} ${version} ${Date.now()}\n`);
};

if (dir === undefined) {
  process.stderr.write('CUTOVER_STATE_DIR is not set: is spec.stateful on?\n');
  process.exit(2);
}
const lock = join(dir, 'lock');
try {
  closeSync(openSync(lock, 'wx'));
  writeFileSync(lock, String(process.pid));
} catch {
  const holder = Number(readFileSync(lock, 'utf8'));
  let alive = false;
  try {
    process.kill(holder, 0);
    alive = true;
  } catch {}
  if (alive) {
    note(`VIOLATION(held-by-${holder})`);
    process.exit(1);
  }
  writeFileSync(lock, String(process.pid)); // a stale lock of a killed process
}
const file = join(dir, 'state.json');
const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { history: [] };
state.history.push(version);
writeFileSync(file, JSON.stringify(state));
note('start');

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok\n');
  res.writeHead(200, { 'content-type': 'application/json', 'x-version': version });
  res.end(JSON.stringify({ ordinal: Number(ordinal), version, history: state.history }));
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
process.on('SIGTERM', () => {
  note('stop');
  rmSync(lock, { force: true });
  process.exit(0);
});
