import { createServer } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { flagVariantSet } from '../dataplane/protocol.js';
import { freePort } from '../platform/local/free-port.js';
import { Router } from './router.js';
import { RouterFixtures } from './router-fixtures.test-helper.js';
import { MAX_VARIANTS_PER_REVISION, VariantRecorders } from './variant-recorders.js';

const T0 = 1_700_000_000_000;

describe('VariantRecorders', () => {
  it('should count a response under each flag=variant pair it names, and nothing else', () => {
    const v = new VariantRecorders();
    v.record('new-planner=on', 1, 0.01, T0);
    v.record('new-planner=on', 4, 0.02, T0 + 10);
    v.record('new-planner=off, model-path=large', 1, 0.01, T0 + 20);
    expect(v.get('new-planner', 'on')?.window(10, 0.5, T0 + 100).counts).toEqual([0, 1, 0, 0, 1, 0]);
    expect(v.get('new-planner', 'off')?.window(10, 0.5, T0 + 100).requests).toBe(1);
    expect(v.get('model-path', 'large')?.window(10, 0.5, T0 + 100).requests).toBe(1);
    expect(v.get('model-path', 'small')).toBeUndefined();
    expect([...v.entries()].map((e) => `${e.flag}/${e.variant}`)).toEqual([
      'new-planner/on',
      'new-planner/off',
      'model-path/large',
    ]);
    expect(v.dropped).toBe(0);
  });

  it(`should drop malformed pairs and pairs beyond ${MAX_VARIANTS_PER_REVISION} per revision`, () => {
    const v = new VariantRecorders();
    for (const bad of ['on', '=on', 'flag=', 'flag = on', `${'f'.repeat(400)}=on`])
      v.record(bad, 1, 0.01, T0);
    expect(v.dropped).toBe(5);
    expect([...v.entries()]).toEqual([]);
    for (let i = 0; i < MAX_VARIANTS_PER_REVISION + 4; i++) v.record(`flag=v${i}`, 1, 0.01, T0);
    expect([...v.entries()]).toHaveLength(MAX_VARIANTS_PER_REVISION);
    expect(v.dropped).toBe(9);
  });
});

const fixtures = new RouterFixtures();
afterEach(() => fixtures.close());

describe('Router (per-variant outcomes)', () => {
  it('should record by flag variant the responses that echo x-cutover-flag-variant, forward the header, and expose the series', async () => {
    // The service answers 500 to the users it put on variant "on", 200 to the others; /plain names no variant.
    const upstream = await fixtures.listen(
      createServer((req, res) => {
        req.resume();
        if (req.url === '/plain') return void res.writeHead(200).end('plain');
        const on = Number(req.headers['x-user']) % 4 === 0;
        res
          .writeHead(on ? 500 : 200, { 'x-cutover-flag-variant': `new-planner=${on ? 'on' : 'off'}` })
          .end(on ? 'boom' : 'ok');
      }),
    );
    const port = await freePort();
    const router = fixtures.keep(new Router());
    await router.applyRollout('web', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: upstream }]);

    for (let user = 0; user < 40; user++) {
      const res = await request(`http://127.0.0.1:${port}/`, { headers: { 'x-user': String(user) } });
      await res.body.text();
      expect(res.headers['x-cutover-flag-variant']).toBe(`new-planner=${user % 4 === 0 ? 'on' : 'off'}`);
    }
    await (await request(`http://127.0.0.1:${port}/plain`)).body.text();

    const on = router.stats('web', 1, 10, 0.95, flagVariantSet('new-planner', 'on'));
    expect(on).toMatchObject({ requests: 10, errors: 10, errorRate: 1, set: ':flag:new-planner=on' });
    const off = router.stats('web', 1, 10, 0.95, flagVariantSet('new-planner', 'off'));
    expect(off).toMatchObject({ requests: 30, errors: 0, errorRate: 0 });
    expect(router.stats('web', 1, 10, 0.95)).toMatchObject({ requests: 41, errors: 10 });
    expect(router.stats('web', 1, 10, 0.95, flagVariantSet('new-planner', 'v3'))).toMatchObject({
      requests: 0,
      errorRate: null,
    });

    const metrics = router.metricsText();
    expect(metrics).toContain(
      'cutover_router_flag_variant_requests_total{rollout="web",revision="1",flag="new-planner",variant="on",code_class="5xx"} 10',
    );
    expect(metrics).toContain(
      'cutover_router_flag_variant_requests_total{rollout="web",revision="1",flag="new-planner",variant="off",code_class="2xx"} 30',
    );
    expect(metrics).toContain(
      'cutover_router_flag_variant_request_duration_seconds_count{rollout="web",revision="1",flag="new-planner",variant="off"} 30',
    );
    expect(metrics).toContain('cutover_router_flag_variant_dropped_total{rollout="web",revision="1"} 0');
  });
});
