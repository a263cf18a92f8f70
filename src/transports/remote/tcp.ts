/**
 * Remote servers over plain TCP (`tcp://host:port`): newline-delimited JSON-RPC, the
 * stdio framing over a socket. A bad line is reported and skipped; the socket closing
 * ends the transport.
 */
import { Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { serializeMessage } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { REMOTE_DEFAULTS, RemoteTransport, type RemoteTransportOptions } from './base.js';
import { networkReason } from './describe.js';
import { JsonLineReader } from '../json-lines.js';

export class TcpRemoteTransport extends RemoteTransport {
  protected readonly kind = 'TCP';
  private socket: Socket | undefined;
  private readonly reader: JsonLineReader;
  private socketError: string | undefined;

  constructor(options: RemoteTransportOptions) {
    super(options);
    this.reader = new JsonLineReader({
      maxLineBytes: options.maxMessageBytes ?? REMOTE_DEFAULTS.maxMessageBytes,
      where: `server "${options.serverName}": ${this.shownUrl}`,
      onMessage: (message) => this.deliver(message),
      onError: (error) => this.report(error),
    });
  }

  protected async open(): Promise<void> {
    const { hostname, port } = this.options.url;
    if (!port) throw this.failure('CONFIG_INVALID', 'the URL needs a port (tcp://host:port)');
    const socket = new Socket();
    this.socket = socket;
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      // close() while connecting destroys the socket without an error
      socket.once('close', () => reject(new Error('closed while connecting')));
    });
    socket.connect({ host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port) });
    try {
      await connected;
    } catch (error) {
      socket.destroy();
      throw this.failure('SERVER_UNAVAILABLE', networkReason(error), error);
    }
    socket.setNoDelay(true);
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (error) => {
      this.socketError = networkReason(error);
    });
    socket.on('close', () => {
      this.reader.clear();
      this.lose(this.socketError ? `connection lost: ${this.socketError}` : 'connection closed by the server');
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.running || !socket.writable) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      socket.write(serializeMessage(message), (error) => {
        if (error) reject(this.unavailable());
        else resolve();
      });
    });
  }

  protected async release(lost: boolean): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    if (!lost) {
      socket.end();
      await Promise.race([once(socket, 'close'), sleep(REMOTE_DEFAULTS.goodbyeMs, undefined, { ref: false })]).catch(() => undefined);
    }
    socket.destroy();
  }
}
