/**
 * HTTP reachability of a remote server's URL. Reads the status line and headers only
 * (an SSE stream never ends), then drops the connection. A web page where an MCP
 * endpoint should be is a failure with a clear reason.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { failed, passed, type ProbeOutcome } from './outcome.js';
import { networkReason } from './reasons.js';
import type { HttpProbeTask } from './types.js';

/** Answers an MCP endpoint gives a bare GET without a session: reachable and speaking HTTP. */
const MCP_REFUSALS = new Set([400, 405, 406]);

export function probeHttp(task: HttpProbeTask, signal: AbortSignal): Promise<ProbeOutcome> {
  let url: URL;
  try {
    url = new URL(task.url);
  } catch {
    return Promise.resolve(failed(`invalid url: ${JSON.stringify(task.url)}`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve(failed(`unsupported url scheme ${url.protocol} for an HTTP probe`));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ProbeOutcome>((resolve) => {
    let connected = false;
    const req = send(
      url,
      {
        method: task.method ?? 'GET',
        headers: { accept: 'application/json, text/event-stream', ...task.headers },
        agent: false,
        signal,
      },
      (res) => {
        resolve(judge(res));
        res.destroy();
      },
    );
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('error', (error) => {
      if (signal.aborted) {
        resolve(
          failed(connected ? `connected, but no HTTP answer within ${task.timeoutMs} ms` : `no connection within ${task.timeoutMs} ms`),
        );
      } else {
        resolve(failed(networkReason(error)));
      }
    });
    req.end();
  });
}

function judge(res: IncomingMessage): ProbeOutcome {
  const status = res.statusCode ?? 0;
  const contentType = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const extra = { status, ...(contentType ? { contentType } : {}) };
  const answered = `HTTP ${status}${contentType ? ` ${contentType}` : ''}`;
  if (contentType === 'text/html' || contentType === 'application/xhtml+xml') {
    return failed(`answered with an HTML page (${answered}), not an MCP endpoint: check the url`, extra);
  }
  if (status >= 200 && status < 300) return passed(answered, extra);
  if (MCP_REFUSALS.has(status)) return passed(`${answered} (reachable; a bare GET is refused, as MCP endpoints do)`, extra);
  if (status >= 300 && status < 400) {
    const location = res.headers.location;
    return failed(`${answered}: redirects to ${location ?? '(no location)'}; use the final url`, extra);
  }
  if (status === 401 || status === 403) return failed(`${answered}: authentication required or rejected: check the headers`, extra);
  if (status === 404) return failed(`${answered}: nothing at this path: check the url`, extra);
  if (status === 429) return failed(`${answered}: rate limited`, extra);
  if (status >= 500) return failed(`${answered}: server error`, extra);
  return failed(answered, extra);
}
