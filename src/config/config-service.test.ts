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
      new Set(),
    );
    expect(missing).toEqual([{ kind: 'Secret', name: 'ghost', path: ['envFrom', 1, 'secretRef', 'name'] }]);
    expect(
      await configs.missing(
        { command: ['x'], envFrom: [{ secretRef: { name: 'ghost' } }] },
        new Set(['Secret/ghost']),
      ),
    ).toEqual([]);
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
