import type { ListenOptions } from 'node:net';

/**
 * What `net.Server.listen()` is given to serve a port: options to bind it here, or a listening
 * socket handle bound by another process and passed over IPC (`child_process` `sendHandle`).
 */
export type ListenTarget = ListenOptions | object;

/** A port could not be bound; `code` is the system's (`EADDRINUSE`, `EACCES`...). */
export class BindError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BindError';
    this.code = code;
  }
}

/**
 * Who owns the router's listening sockets. In the data plane it is the supervisor: it binds each
 * port once and keeps the socket open while router processes come and go, so a crash of the
 * router refuses no connection (they wait in the socket's backlog for the next router process),
 * as nginx's binary upgrade and systemd's socket activation do.
 */
export interface PortBinder {
  /**
   * The socket to serve `host:port` on.
   * @throws BindError when the port cannot be bound (in use, not permitted).
   */
  bind(host: string, port: number): Promise<ListenTarget>;
  /** The port is no longer served: its owner closes the socket (new connections are refused). */
  release(port: number): void;
}

/** Binds in this process: the listener owns its socket (tests, in-process use). */
export const DIRECT_PORT_BINDER: PortBinder = {
  bind: (host, port) => Promise.resolve({ host, port, exclusive: true }),
  release: () => undefined,
};
