/**
 * Transports for remote servers (`connection_type` http, sse, websocket, tcp): each is
 * a `ProcessTransport` without a process, whose `exited` resolves when the connection
 * is gone for good so the server's chart reconnects with backoff.
 */
import type { ServerConfig } from '../../config/types.js';
import { ManagerError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ProcessTransport } from '../process-transport.js';
import { HttpRemoteTransport } from './http.js';
import { TcpRemoteTransport } from './tcp.js';
import { WebSocketRemoteTransport } from './websocket.js';

export { HttpRemoteTransport, type HttpMode } from './http.js';
export { TcpRemoteTransport } from './tcp.js';
export { WebSocketRemoteTransport, MCP_SUBPROTOCOL } from './websocket.js';
export { RemoteTransport, REMOTE_DEFAULTS, type RemoteTransportOptions } from './base.js';

export interface OpenRemoteOptions {
  /** Names the server (instance) in every message. */
  serverName: string;
  logger: Logger;
}

/** A transport for a remote server; not yet connected (the SDK client's connect() starts it). */
export function openRemoteTransport(config: ServerConfig, options: OpenRemoteOptions): ProcessTransport {
  const { serverName, logger } = options;
  const type = config.connectionType;
  if (config.url === undefined) {
    throw new ManagerError('CONFIG_INVALID', `server "${serverName}": connection_type ${type} needs a "url"`, {
      data: { server: serverName },
    });
  }
  if (!URL.canParse(config.url)) {
    // the text may hold credentials: not repeated here
    throw new ManagerError('CONFIG_INVALID', `server "${serverName}": "url" is not a valid URL`, { data: { server: serverName } });
  }
  const common = { serverName, url: new URL(config.url), headers: config.headers, logger };
  switch (type) {
    case 'http':
    case 'sse':
      return new HttpRemoteTransport({ ...common, connectionType: type });
    case 'websocket':
      return new WebSocketRemoteTransport(common);
    case 'tcp':
      return new TcpRemoteTransport(common);
    case 'stdio':
      throw new ManagerError('TRANSPORT_UNSUPPORTED', `server "${serverName}": a stdio server is not remote`, {
        data: { server: serverName },
      });
  }
}
