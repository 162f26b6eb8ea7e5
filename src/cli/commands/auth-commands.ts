import type { Command } from 'commander';
import type { AuditEntry, AuditVerification } from '../../auth/index.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { outputFormat } from '../output.js';

/** A token as `GET /api/v1/tokens` lists it. */
interface TokenView {
  id: string;
  user: string;
  kind: string;
  role: string;
  qualifier: string | null;
  createdAt: number;
  revokedAt: number | null;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function formatTokens(items: TokenView[]): string {
  const header = `${'ID'.padEnd(18)}${'USER'.padEnd(20)}${'KIND'.padEnd(7)}${'ROLE'.padEnd(10)}${'QUALIFIER'.padEnd(11)}${'CREATED'.padEnd(26)}REVOKED`;
  const rows = items.map(
    (t) =>
      `${t.id.padEnd(18)}${t.user.padEnd(20)}${t.kind.padEnd(7)}${t.role.padEnd(10)}${(t.qualifier ?? '-').padEnd(11)}${iso(t.createdAt).padEnd(26)}${iso(t.revokedAt)}`,
  );
  return [header, ...rows].join('\n');
}

function formatAudit(items: AuditEntry[]): string {
  const header = `${'ID'.padEnd(6)}${'TIME'.padEnd(26)}${'ACTOR'.padEnd(20)}${'ROLE'.padEnd(10)}${'STATUS'.padEnd(8)}REQUEST`;
  const rows = items.map(
    (e) =>
      `${String(e.id).padEnd(6)}${iso(e.time).padEnd(26)}${e.actor.padEnd(20)}${e.role.padEnd(10)}${String(e.status).padEnd(8)}${e.method} ${e.path}${e.summary ? ` ${e.summary}` : ''}`,
  );
  return [header, ...rows].join('\n');
}

/** Registers `token create|list|revoke` and `audit list|verify` (admin only on the server). */
export function registerAuthCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('manage API tokens (admin)');
  token
    .command('create')
    .description('create a token for a user and print it once (only its hash is stored)')
    .requiredOption('--user <name>', 'user (or agent) name; created when new')
    .requiredOption('--role <role>', 'viewer, deployer, approver or admin')
    .option('--qualifier <q>', 'approver only: manager, security or devops')
    .option('--agent', 'the holder is a crew agent (actor agent:<name>)')
    .option('-o, --output <format>', 'text (the token alone) or json')
    .action(
      async (opts: { user: string; role: string; qualifier?: string; agent?: boolean; output?: string }) => {
        const format = outputFormat(opts.output);
        const created = await (await ctx.api()).post<TokenView & { token: string }>('/api/v1/tokens', {
          user: opts.user,
          role: opts.role,
          ...(opts.qualifier !== undefined ? { qualifier: opts.qualifier } : {}),
          ...(opts.agent ? { kind: 'agent' } : {}),
        });
        if (format === 'json') {
          ctx.out(JSON.stringify(created, null, 2));
          return;
        }
        ctx.out(created.token);
        process.stderr.write(
          `token ${created.id} for ${created.kind}:${created.user} (${created.role}${created.qualifier ? `, ${created.qualifier}` : ''}); it is not shown again\n`,
        );
      },
    );

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{ items: TokenView[] }>('/api/v1/tokens');
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatTokens(items));
    });

  token
    .command('revoke [id]')
    .description('revoke a token by id, or every token of --user')
    .option('--user <name>', 'revoke every token of this user')
    .action(async (id: string | undefined, opts: { user?: string }) => {
      if ((id === undefined) === (opts.user === undefined)) {
        throw new CliError('CUTOVER_E_USAGE', 'token revoke: give a token id or --user, not both', 2);
      }
      const api = await ctx.api();
      const path =
        id !== undefined
          ? `/api/v1/tokens/${encodeURIComponent(id)}`
          : `/api/v1/users/${encodeURIComponent(opts.user ?? '')}/tokens`;
      const { revoked } = await api.delete<{ revoked: number }>(path);
      ctx.out(`${revoked} token${revoked === 1 ? '' : 's'} revoked`);
    });

  const audit = program.command('audit').description('the HMAC-chained audit log (admin)');
  audit
    .command('list')
    .description('list audit entries, oldest first')
    .option('--after <id>', 'only entries after this id')
    .option('--limit <n>', 'at most this many entries')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { after?: string; limit?: string; output?: string }) => {
      const format = outputFormat(opts.output);
      const q = new URLSearchParams({
        ...(opts.after !== undefined ? { after: opts.after } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      });
      const { items } = await (await ctx.api()).get<{ items: AuditEntry[] }>(
        `/api/v1/audit${q.size > 0 ? `?${q}` : ''}`,
      );
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatAudit(items));
    });

  audit
    .command('verify')
    .description(
      'recompute the HMAC chain and check its head checkpoint; exit 1 naming the first edited or deleted entry',
    )
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const result = await (await ctx.api()).get<AuditVerification>('/api/v1/audit/verify');
      if (format === 'json') ctx.out(JSON.stringify(result, null, 2));
      if (result.ok) {
        if (format === 'text') {
          const keyed = result.keyedFrom === undefined ? '' : `; HMAC-sealed from entry ${result.keyedFrom}`;
          const head = result.head === undefined ? '' : `; head checkpoint at entry ${result.head}`;
          ctx.out(`audit log intact: ${result.entries} entries verified${keyed}${head}`);
        }
        return;
      }
      throw new CliError(
        'CUTOVER_E_AUDIT_TAMPERED',
        `audit log broken at entry ${result.broken?.id}: ${result.broken?.reason}`,
      );
    });
}
