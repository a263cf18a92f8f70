/**
 * Remote servers over WebSocket (subprotocol `mcp`, one JSON-RPC message per text
 * frame). Built on `ws`: Node 20 has no global WebSocket, which the SDK's
 * WebSocketClientTransport needs, and that one cannot send headers either.
 */
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJSONRPCMessage, type JSONRPCMessage } from '@modelcontextprotocol/client';
import WebSocket from 'ws';
import { REMOTE_DEFAULTS, RemoteTransport, type RemoteTransportOptions } from './base.js';
import { mediaType, networkReason, preview } from './describe.js';

export const MCP_SUBPROTOCOL = 'mcp';

export class WebSocketRemoteTransport extends RemoteTransport {
  protected readonly kind = 'WebSocket';
  private socket: WebSocket | undefined;

  constructor(options: RemoteTransportOptions) {
    super(options);
  }

  protected async open(): Promise<void> {
    const socket = new WebSocket(this.options.url, MCP_SUBPROTOCOL, {
      headers: this.options.headers,
      maxPayload: this.options.maxMessageBytes ?? REMOTE_DEFAULTS.maxMessageBytes,
      followRedirects: false,
    });
    this.socket = socket;
    let connected = false;
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', (code, reason) => {
      if (!connected) return;
      const why = reason.length ? `: ${reason.toString('utf8')}` : '';
      this.lose(`connection closed by the server (code ${code}${why})`);
    });
    await new Promise<void>((resolve, reject) => {
      let refused: Error | undefined;
      socket.once('unexpected-response', (request, response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        refused =
          mediaType(response.headers['content-type'] ?? null) === 'text/html'
            ? this.failure('INITIALIZE_FAILED', `answered HTML (status ${status}), not MCP`)
            : this.failure('INITIALIZE_FAILED', `answered HTTP ${status} instead of a WebSocket upgrade`);
        response.resume();
        request.destroy();
        reject(refused);
      });
      socket.once('open', () => {
        connected = true;
        resolve();
      });
      socket.on('error', (error) => {
        if (connected) this.note(this.describe(networkReason(error)));
        else reject(refused ?? this.failure('SERVER_UNAVAILABLE', networkReason(error), error));
      });
    });
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(JSON.parse(text));
    } catch (error) {
      const what = error instanceof SyntaxError ? 'is not JSON' : 'is not a JSON-RPC message';
      this.report(
        new Error(`server "${this.serverName}": ${this.describe(`${isBinary ? 'binary ' : ''}frame ${what}: ${preview(text)}`)}`, {
          cause: error,
        }),
      );
      return;
    }
    this.deliver(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.running || socket.readyState !== WebSocket.OPEN) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      socket.send(JSON.stringify(message), (error) => {
        if (error) reject(this.unavailable());
        else resolve();
      });
    });
  }

  protected async release(lost: boolean): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    if (!lost && socket.readyState === WebSocket.OPEN) {
      socket.close(1000, 'closed by mcp-manager');
      await Promise.race([once(socket, 'close'), sleep(REMOTE_DEFAULTS.goodbyeMs, undefined, { ref: false })]).catch(() => undefined);
    }
    socket.terminate();
  }
}
