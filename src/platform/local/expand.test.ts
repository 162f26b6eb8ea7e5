import { describe, expect, it } from 'vitest';
import { expandVars, replicaEnv } from './expand.js';

describe('expandVars', () => {
  it('should expand $(VAR) as Kubernetes does', () => {
    const env = { PORT: '8080', NAME: 'web' };
    expect(expandVars('--port=$(PORT)', env)).toBe('--port=8080');
    expect(expandVars('$(NAME)-$(PORT)', env)).toBe('web-8080');
    expect(expandVars('$$(PORT)', env)).toBe('$(PORT)');
    expect(expandVars('$(MISSING)', env)).toBe('$(MISSING)');
    expect(expandVars('$PORT $( unterminated', env)).toBe('$PORT $( unterminated');
    expect(expandVars('a$$b', env)).toBe('a$b');
  });
});

describe('replicaEnv', () => {
  it('should let PORT win and expand template values against earlier variables', () => {
    const env = replicaEnv({ HOME: '/h' }, { URL: 'http://127.0.0.1:$(PORT)/', PORT: '1' }, { PORT: '9000' });
    expect(env.PORT).toBe('9000');
    expect(env.URL).toBe('http://127.0.0.1:9000/');
    expect(env.HOME).toBe('/h');
  });

  it("should keep the server's settings and secrets out of a replica", () => {
    // Regression: replicas inherited CUTOVER_SECRET_* and every variable analysis args read as secrets.
    const env = replicaEnv(
      {
        HOME: '/h',
        CUTOVER_TOKEN: 'cut_x',
        CUTOVER_SECRET_API_KEY: 's3cret',
        CUTOVER_ANALYSIS_ENV_ALLOW: 'DATADOG_API_KEY, PROM_TOKEN',
        DATADOG_API_KEY: 'dd',
        PROM_TOKEN: 'pt',
      },
      { OWN: 'mine', PROM_TOKEN: 'set by the template' },
      { CUTOVER_ROLLOUT: 'web' },
    );
    expect(env).toEqual({
      HOME: '/h',
      OWN: 'mine',
      PROM_TOKEN: 'set by the template',
      CUTOVER_ROLLOUT: 'web',
    });
  });
});
