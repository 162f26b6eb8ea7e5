import { createReadStream, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `npm run build` puts the dashboard (`vite build`, ui/vite.config.ts). This file runs as
 * `dist/server/ui-routes.js` (or from `src/server/` under tsx); both are two levels below the
 * package root.
 */
const DEFAULT_UI_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/ui');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

interface UiRoutesOptions {
  /** Directory of the built dashboard. @default `<package>/dist/ui` */
  root?: string;
}

/**
 * Serves the web dashboard's static files at `/ui/` (`/ui` redirects there). Files under
 * `assets/` have content hashes in their names and are cached for a year; `index.html` is never
 * cached, so a new build is picked up on the next load. Paths that leave the root are 404. The
 * dashboard reads the API with the user's own token, so these files need none.
 */
export function registerUiRoutes(app: FastifyInstance, options: UiRoutesOptions = {}): void {
  const root = resolve(options.root ?? DEFAULT_UI_ROOT);

  const send = (reply: FastifyReply, relative: string) => {
    const file = resolve(join(root, relative));
    if (file !== root && !file.startsWith(root + sep)) return notFound(reply, relative);
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return notFound(reply, relative);
      size = stat.size;
    } catch {
      return notFound(reply, relative);
    }
    const immutable = relative.startsWith('assets/');
    return reply
      .type(CONTENT_TYPES[extname(file)] ?? 'application/octet-stream')
      .header('content-length', size)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(file));
  };

  const notFound = (reply: FastifyReply, relative: string) => {
    const built = safeIsFile(join(root, 'index.html'));
    return reply.status(404).send({
      code: 'CUTOVER_E_NOT_FOUND',
      message: built
        ? `no dashboard file ${relative}`
        : `the dashboard is not built (no ${join(root, 'index.html')}): run npm run build`,
    });
  };

  app.get('/ui', (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui/', (_req, reply) => send(reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/ui/*', (req, reply) => {
    let relative: string;
    try {
      relative = decodeURIComponent(req.params['*']);
    } catch {
      return notFound(reply, req.params['*']);
    }
    return send(reply, relative === '' ? 'index.html' : relative);
  });
}

function safeIsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
