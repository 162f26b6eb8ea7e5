import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitNextKek, createNextKek, loadKeks, loadOrCreateKek } from '../secret/envelope.js';
import { openSqliteStore } from '../store/index.js';
import { ConfigService } from './config-service.js';

const home = mkdtempSync(join(tmpdir(), 'cutover-configs-'));
const store = await openSqliteStore(join(home, 'cutover.db'));
const configs = new ConfigService(store, loadOrCreateKek(join(home, 'keys', 'kek')));
const meta = (name: string) => ({ name });

describe('ConfigService', () => {
  afterAll(async () => {
    await store.close();
  });

  it('should keep a version per change, none for the same values, and pin the latest into a template', async () => {
    const cm = {
      apiVersion: 'cutover.dev/v1alpha1' as const,
      kind: 'ConfigMap' as const,
      metadata: meta('app'),
    };
    expect(await configs.put({ ...cm, data: { A: '1' } }, 'user:amy', 1)).toMatchObject({
      version: 1,
      created: true,
    });
    expect(await configs.put({ ...cm, data: { A: '1' } }, 'user:amy', 2)).toMatchObject({
      version: 1,
      created: false,
    });
    expect(await configs.put({ ...cm, data: { A: '2' } }, 'user:amy', 3)).toMatchObject({
      version: 2,
      created: true,
    });
    const pinned = await configs.pin({ command: ['node'], envFrom: [{ configMapRef: { name: 'app' } }] });
    expect(pinned.refVersions).toEqual({ 'ConfigMap/app': 2 });
    expect(await configs.pin({ command: ['node'] })).toEqual({ command: ['node'] });
  });

  it('should build a replica environment in envFrom order, env winning, prefixes applied, bad names skipped', async () => {
    await configs.put(
      {
        apiVersion: 'cutover.dev/v1alpha1',
        kind: 'ConfigMap',
        metadata: meta('base'),
        data: { A: 'base', B: 'base' },
      },
      'user:amy',
      1,
    );
    await configs.put(
      {
        apiVersion: 'cutover.dev/v1alpha1',
        kind: 'Secret',
        metadata: meta('keys'),
        stringData: { B: 'secret', TOKEN: 't0k' },
      },
      'user:amy',
      1,
    );
    const template = await configs.pin({
      command: ['node'],
      env: { A: 'explicit' },
      envFrom: [
        { configMapRef: { name: 'base' } },
        { secretRef: { name: 'keys' } },
        { secretRef: { name: 'keys' }, prefix: 'X_' },
      ],
    });
    const run = await configs.materialize(template);
    expect(run).toEqual({
      command: ['node'],
      env: { A: 'explicit', B: 'secret', TOKEN: 't0k', X_B: 'secret', X_TOKEN: 't0k' },
    });
  });

  it('should give a pinned old version back after a change (undo brings the old values)', async () => {
    const secret = (value: string) => ({
      apiVersion: 'cutover.dev/v1alpha1' as const,
      kind: 'Secret' as const,
      metadata: meta('rotating'),
      stringData: { KEY: value },
    });
    await configs.put(secret('one'), 'user:amy', 1);
    const old = await configs.pin({ command: ['node'], envFrom: [{ secretRef: { name: 'rotating' } }] });
    await configs.setSecretKey('rotating', 'KEY', 'two', 'user:amy', 2);
    expect((await configs.materialize(old)).env).toEqual({ KEY: 'one' });
    const next = await configs.pin(old);
    expect(next.refVersions).toEqual({ 'Secret/rotating': 2 });
    expect((await configs.materialize(next)).env).toEqual({ KEY: 'two' });
    const listed = await configs.get('Secret', 'rotating');
    expect(listed).toMatchObject({ version: 2, keys: ['KEY'] });
    expect(JSON.stringify(listed)).not.toContain('two');
  });

  it('should name the references that point at nothing', async () => {
    const missing = await configs.missing(
      { command: ['node'], envFrom: [{ configMapRef: { name: 'app' } }, { secretRef: { name: 'ghost' } }] },
      new Map(),
    );
    expect(missing).toEqual([
      { kind: 'Secret', name: 'ghost', path: ['envFrom', 1, 'secretRef', 'name'], missing: 'resource' },
    ]);
    expect(
      await configs.missing(
        { command: ['x'], envFrom: [{ secretRef: { name: 'ghost' } }] },
        new Map([['Secret/ghost', ['K']]]),
      ),
    ).toEqual([]);
  });

  it('should name a valueFrom key the ConfigMap or Secret lacks, and skip optional references', async () => {
    const template = {
      command: ['node'],
      envValueFrom: {
        A: { configMapKeyRef: { name: 'app', key: 'A' } },
        NOPE: { secretKeyRef: { name: 'keys', key: 'NOPE' } },
        GONE: { secretKeyRef: { name: 'ghost', key: 'K' } },
        MAYBE: { secretKeyRef: { name: 'ghost', key: 'K', optional: true } },
      },
    };
    expect(await configs.missing(template, new Map())).toEqual([
      {
        kind: 'Secret',
        name: 'keys',
        key: 'NOPE',
        path: ['env', 'NOPE', 'valueFrom', 'secretKeyRef'],
        missing: 'key',
      },
      {
        kind: 'Secret',
        name: 'ghost',
        key: 'K',
        path: ['env', 'GONE', 'valueFrom', 'secretKeyRef'],
        missing: 'resource',
      },
    ]);
  });

  it('should give a valueFrom variable its pinned key, winning over envFrom, an optional absent one unset', async () => {
    const template = await configs.pin({
      command: ['node'],
      env: { LITERAL: 'x' },
      envFrom: [{ configMapRef: { name: 'base' } }],
      envValueFrom: {
        A: { secretKeyRef: { name: 'keys', key: 'TOKEN' } },
        FROM_BASE: { configMapKeyRef: { name: 'base', key: 'B' } },
        ABSENT_KEY: { configMapKeyRef: { name: 'base', key: 'NOT_THERE', optional: true } },
        ABSENT_MAP: { configMapKeyRef: { name: 'nowhere', key: 'K', optional: true } },
      },
    });
    expect(template.refVersions).toEqual({ 'ConfigMap/base': 1, 'Secret/keys': 1 });
    expect(await configs.materialize(template)).toEqual({
      command: ['node'],
      env: { A: 't0k', B: 'base', FROM_BASE: 'base', LITERAL: 'x' },
    });
    // A new version of the Secret is a new pin (a new revision); the old pin keeps the old value.
    await configs.setSecretKey('keys', 'TOKEN', 't1k', 'user:amy', 5);
    const next = await configs.pin(template);
    expect(next.refVersions).toEqual({ 'ConfigMap/base': 1, 'Secret/keys': 2 });
    expect((await configs.materialize(next)).env?.['A']).toBe('t1k');
    expect((await configs.materialize(template)).env?.['A']).toBe('t0k');
  });

  it('should turn files into fileData: a whole source as one file per key, one key as one file, a Secret 0600', async () => {
    const template = await configs.pin({
      command: ['node'],
      files: [
        { path: 'config', configMapRef: { name: 'base' } },
        { path: 'secrets/token', secretRef: { name: 'keys' }, key: 'TOKEN' },
      ],
    });
    expect(template.refVersions).toEqual({ 'ConfigMap/base': 1, 'Secret/keys': 2 });
    expect(await configs.materialize(template)).toEqual({
      command: ['node'],
      env: {},
      fileData: [
        { path: 'config/A', data: 'base', mode: 0o644 },
        { path: 'config/B', data: 'base', mode: 0o644 },
        { path: 'secrets/token', data: 't1k', mode: 0o600 },
      ],
    });
    expect(
      await configs.missing(
        { command: ['node'], files: [{ path: 'x', configMapRef: { name: 'base' }, key: 'NOPE' }] },
        new Map(),
      ),
    ).toEqual([
      {
        kind: 'ConfigMap',
        name: 'base',
        key: 'NOPE',
        path: ['files', 0, 'configMapRef', 'name'],
        missing: 'key',
      },
    ]);
  });

  it("should resolve a reference to its environment's ConfigMap first, else the one of every environment", async () => {
    const cm = (data: Record<string, string>, environment?: string) => ({
      apiVersion: 'cutover.dev/v1alpha1' as const,
      kind: 'ConfigMap' as const,
      metadata: { name: 'scoped', ...(environment === undefined ? {} : { environment }) },
      data,
    });
    await configs.put(cm({ MODE: 'any' }), 'user:amy', 1);
    expect(await configs.put(cm({ MODE: 'prod' }, 'production'), 'user:amy', 1)).toMatchObject({
      name: 'scoped@production',
      version: 1,
    });
    const template = { command: ['node'], envFrom: [{ configMapRef: { name: 'scoped' } }] };
    const prod = await configs.pin(template, 'production');
    expect(prod).toMatchObject({
      refVersions: { 'ConfigMap/scoped@production': 1 },
      refEnvironment: 'production',
    });
    expect((await configs.materialize(prod)).env).toEqual({ MODE: 'prod' });
    const staging = await configs.pin(template, 'staging');
    expect(staging.refVersions).toEqual({ 'ConfigMap/scoped': 1 });
    expect((await configs.materialize(staging)).env).toEqual({ MODE: 'any' });
    // Re-pinned later (a dependent), the template keeps resolving in its environment.
    expect((await configs.pin(prod)).refVersions).toEqual({ 'ConfigMap/scoped@production': 1 });
    expect(await configs.get('ConfigMap', 'scoped', 'production')).toMatchObject({
      name: 'scoped',
      environment: 'production',
      data: { MODE: 'prod' },
    });
    expect(
      await configs.missing(
        { command: ['x'], envFrom: [{ configMapRef: { name: 'scoped' } }] },
        new Map(),
        'dev',
      ),
    ).toEqual([]);
  });

  it('should mark a Secret due at its schedule after the latest version, and tell each due period once', async () => {
    const t0 = Date.UTC(2026, 0, 15, 10, 31);
    const secret = {
      apiVersion: 'cutover.dev/v1alpha1' as const,
      kind: 'Secret' as const,
      metadata: meta('rotated'),
      stringData: { KEY: 'one' },
      rotationSchedule: '*/5 * * * *',
      notifications: [{ name: 'ops', type: 'webhook' as const, url: 'http://127.0.0.1:9/hook' }],
    };
    await configs.put(secret, 'user:amy', t0);
    const told: string[] = [];
    const notify = async (d: { name: string; version: number; dueAt: number }) => {
      told.push(`${d.name} v${d.version} ${new Date(d.dueAt).toISOString()}`);
    };
    expect(await configs.checkRotations(t0 + 60_000, notify)).toEqual([]);
    expect((await configs.list('Secret', t0 + 60_000)).find((s) => s.name === 'rotated')).toMatchObject({
      rotationSchedule: '*/5 * * * *',
      rotationDueAt: Date.UTC(2026, 0, 15, 10, 35),
      due: false,
    });
    expect(await configs.checkRotations(t0 + 5 * 60_000, notify)).toEqual(['rotated']);
    expect(await configs.checkRotations(t0 + 6 * 60_000, notify)).toEqual([]);
    expect((await configs.list('Secret', t0 + 6 * 60_000)).find((s) => s.name === 'rotated')?.due).toBe(true);
    // A new version ends the period; the next one is told again.
    await configs.setSecretKey('rotated', 'KEY', 'two', 'user:amy', t0 + 7 * 60_000);
    expect((await configs.list('Secret', t0 + 7 * 60_000)).find((s) => s.name === 'rotated')?.due).toBe(
      false,
    );
    expect(await configs.checkRotations(t0 + 10 * 60_000, notify)).toEqual(['rotated']);
    expect(told).toEqual(['rotated v1 2026-01-15T10:35:00.000Z', 'rotated v2 2026-01-15T10:40:00.000Z']);
    const events = (await store.listEvents({ limit: 1000 })).filter((e) => e.reason === 'SecretRotationDue');
    expect(events.map((e) => e.message)).toEqual([
      expect.stringContaining('Secret rotated version 1'),
      expect.stringContaining('Secret rotated version 2'),
    ]);
    expect(JSON.stringify(events)).not.toMatch(/"one"|"two"/);
  });

  it('should re-wrap every Secret version under a new key, and open versions of an interrupted rotation', async () => {
    const path = join(home, 'keys', 'kek');
    const next = createNextKek(path);
    // A crash after the new key was written: both keys load, either opens what it wrapped.
    const both = loadKeks(path);
    expect(both.pending?.id).toBe(next.id);
    expect(createNextKek(path).id).toBe(next.id);
    const rotated = await configs.rotateKey(next);
    expect(rotated).toBeGreaterThanOrEqual(3);
    commitNextKek(path);
    expect(loadKeks(path)).toEqual({ current: next, pending: undefined });
    // Only the new key is needed now, for old and new versions alike.
    const fresh = new ConfigService(store, next);
    const old = await fresh.pin({ command: ['node'], envFrom: [{ secretRef: { name: 'rotating' } }] });
    expect((await fresh.materialize({ ...old, refVersions: { 'Secret/rotating': 1 } })).env).toEqual({
      KEY: 'one',
    });
    expect((await fresh.materialize(old)).env).toEqual({ KEY: 'two' });
    expect(await fresh.rotateKey(next)).toBe(0);
  });
});
