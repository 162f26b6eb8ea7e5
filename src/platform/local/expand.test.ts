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
});
