/** What a systemd unit of `cutover server` needs to know. */
export interface SystemdUnitOptions {
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of `bin/cutover.js`. */
  cli: string;
  /** Absolute data directory (`CUTOVER_HOME`). */
  home: string;
  /** User the service runs as (system units only; a user unit runs as its user). */
  user?: string;
  /** Environment carried into the unit (`CUTOVER_API_PORT`, `CUTOVER_ROUTER_HOST`...). */
  env: Record<string, string>;
  /** A `systemctl --user` unit (default target, no `User=`). */
  userUnit: boolean;
}

/** Soft and hard limit on open files of the unit: each proxied connection holds two. */
const UNIT_NOFILE = 65_536;

/** A value in a unit file: quoted when it holds spaces or quotes (systemd.syntax(7)). Pure. */
function quote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * The systemd unit that runs `cutover server` at boot; the server starts the data plane (its
 * supervisor, the router, the replicas). `KillMode=process`: stopping or restarting the unit stops
 * the control plane only, and the traffic goes on being served (as `cutover server stop`); the
 * data plane and its replicas stop with `cutover shutdown`. Pure.
 *
 * @example renderSystemdUnit({ node: '/usr/bin/node', cli: '/opt/cutover/bin/cutover.js', home: '/var/lib/cutover', user: 'cutover', env: {}, userUnit: false })
 */
export function renderSystemdUnit(o: SystemdUnitOptions): string {
  const env = { CUTOVER_HOME: o.home, ...o.env };
  return [
    '# Written by `cutover service install`. Runs the cutover control plane, which starts the data',
    '# plane; the data plane outlives restarts of this unit (KillMode=process).',
    '[Unit]',
    'Description=cutover progressive delivery (control plane; starts the data plane)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...(o.userUnit || o.user === undefined ? [] : [`User=${o.user}`]),
    ...Object.entries(env).map(([k, v]) => `Environment=${quote(`${k}=${v}`)}`),
    `ExecStart=${quote(o.node)} ${quote(o.cli)} server`,
    'KillMode=process',
    'Restart=always',
    'RestartSec=2',
    `LimitNOFILE=${UNIT_NOFILE}`,
    'UMask=0077',
    '',
    '[Install]',
    `WantedBy=${o.userUnit ? 'default.target' : 'multi-user.target'}`,
    '',
  ].join('\n');
}
