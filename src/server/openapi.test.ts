import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type ApiDeps, registerApi } from './api.js';
import { openApiDocument, openApiPath } from './openapi.js';

/** Every route Fastify serves once the API is registered (HEAD twins of GETs left out). */
function servedRoutes() {
  const app = Fastify();
  const served: { method: string; url: string; permission: unknown }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') served.push({ method, url: route.url, permission: route.config?.permission });
    }
  });
  // Registering touches no dependency; the handlers (which would) are not called.
  const routes = registerApi(app, {} as unknown as ApiDeps);
  return { served, routes: routes.routes };
}

describe('openApiDocument', () => {
  it('should list every route Fastify serves, with its permission', () => {
    const { served, routes } = servedRoutes();
    const doc = openApiDocument(routes, '0.0.0') as {
      paths: Record<string, Record<string, { 'x-permission': string }>>;
    };
    expect(served.length).toBeGreaterThan(20);
    for (const route of served) {
      const operation = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      expect(operation?.['x-permission']).toBe(route.permission);
    }
    const documented = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(documented).toBe(served.length);
  });

  it('should give every route but /healthz a permission other than public', () => {
    const { served } = servedRoutes();
    expect(served.filter((r) => r.permission === 'public').map((r) => r.url)).toEqual(['/healthz']);
    expect(served.every((r) => r.permission !== undefined)).toBe(true);
  });

  it("should describe zod-validated bodies with their schema's fields", () => {
    const { routes } = servedRoutes();
    const doc = openApiDocument(routes, '0.0.0') as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    const schema = doc.paths['/api/v1/tokens']?.post?.requestBody?.content['application/json']?.schema;
    expect(schema).toMatchObject({
      type: 'object',
      properties: { role: { enum: ['viewer', 'deployer', 'approver', 'admin'] } },
      required: ['user', 'role'],
    });
    expect(doc.paths['/api/v1/rollouts/{name}/promote']?.post?.requestBody).toBeDefined();
  });
});
