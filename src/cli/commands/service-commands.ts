import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderSystemdUnit } from '../systemd-unit.js';

/** Variables of the current environment the unit carries, when set. */
const CARRIED_ENV = [
  'CUTOVER_API_PORT',
  'CUTOVER_METRICS_PORT',
  'CUTOVER_OFREP_PORT',
  'CUTOVER_ROUTER_HOST',
  'CUTOVER_LOG_LEVEL',
];

/** A unit name: letters, digits, `-`, `_`, `.`, `@` (systemd.unit(5)), ending in `.service` once written. */
const UNIT_NAME = /^[A-Za-z0-9_.@-]{1,200}$/;

function systemctl(userUnit: boolean, args: string[]): void {
  execFileSync('systemctl', [...(userUnit ? ['--user'] : []), ...args], { stdio: 'inherit' });
}

/** Registers `service install`. */
export function registerServiceCommands(program: Command, ctx: CliContext): void {
  const service = program.command('service').description('run cutover as a systemd service');
  service
    .command('install')
    .description(
      'write a systemd unit that starts the server (and with it the data plane) at boot, then enable and start it',
    )
    .option('--print', 'print the unit and change nothing')
    .option('--name <name>', 'unit name', 'cutover')
    .option('--run-as <user>', 'user of a system unit (default: the current user)')
    .option('--unit-dir <dir>', 'write the unit there and do not call systemctl')
    .action((opts: { print?: boolean; name: string; runAs?: string; unitDir?: string }) => {
      if (!UNIT_NAME.test(opts.name))
        throw new CliError(
          'CUTOVER_E_USAGE',
          `--name: expected letters, digits, '-', '_', '.', '@', got ${JSON.stringify(opts.name)}`,
          2,
        );
      const root = typeof process.getuid === 'function' && process.getuid() === 0;
      const userUnit = !root;
      const env: Record<string, string> = {};
      for (const name of CARRIED_ENV) {
        const value = process.env[name];
        if (value !== undefined && value !== '') env[name] = value;
      }
      const unit = renderSystemdUnit({
        node: process.execPath,
        cli: fileURLToPath(new URL('../../../bin/cutover.js', import.meta.url)),
        home: ctx.paths.home,
        ...(userUnit ? {} : { user: opts.runAs ?? userInfo().username }),
        env,
        userUnit,
      });
      if (opts.print) {
        process.stdout.write(unit);
        return;
      }
      const dir =
        opts.unitDir ?? (userUnit ? join(homedir(), '.config', 'systemd', 'user') : '/etc/systemd/system');
      const file = join(dir, `${opts.name}.service`);
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, unit, { mode: 0o644 });
      } catch (err) {
        throw new CliError(
          'CUTOVER_E_SERVICE_INSTALL',
          `cannot write ${file}: ${(err as Error).message}`,
          1,
          {
            cause: err,
          },
        );
      }
      ctx.out(`wrote ${file}`);
      const enable = `systemctl${userUnit ? ' --user' : ''} daemon-reload && systemctl${userUnit ? ' --user' : ''} enable --now ${opts.name}.service`;
      if (opts.unitDir !== undefined || !existsSync('/run/systemd/system')) {
        ctx.out(`systemd does not manage this session: enable it where it does with: ${enable}`);
        return;
      }
      try {
        systemctl(userUnit, ['daemon-reload']);
        systemctl(userUnit, ['enable', '--now', `${opts.name}.service`]);
      } catch (err) {
        throw new CliError(
          'CUTOVER_E_SERVICE_INSTALL',
          `systemctl failed (${(err as Error).message}); run: ${enable}`,
          1,
          {
            cause: err,
          },
        );
      }
      ctx.out(
        `enabled and started ${opts.name}.service${userUnit ? ' (a user unit: `loginctl enable-linger` keeps it running after logout and starts it at boot)' : ''}`,
      );
    });
}
