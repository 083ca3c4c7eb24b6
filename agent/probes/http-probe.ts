import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { http } from '../../api/node-http.js';
import { dialError } from './dial-error.js';
import { MAX_PROBE_OUTPUT, PROBE_USER_AGENT, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';
import { hostPort, probeHost, probePort } from './probe-port.js';

const { request: httpRequest } = http;

const MAX_REDIRECTS = 10;

function probeUrl(action: HTTPGetAction, target: ProbeTarget): URL {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const host = probeHost(action.host, target.podIP);
  const port = probePort(action.port, target.container);
  const path = action.path ?? '';
  return new URL(`${scheme}://${hostPort(host, port)}${path.startsWith('/') ? path : `/${path}`}`);
}

function probeHeaders(action: HTTPGetAction): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const h of action.httpHeaders ?? []) {
    const key = h.name.toLowerCase();
    const prev = headers[key];
    headers[key] = prev === undefined ? h.value : [...(Array.isArray(prev) ? prev : [String(prev)]), h.value];
  }
  headers['user-agent'] ??= PROBE_USER_AGENT;
  headers.accept ??= '*/*';
  return headers;
}

/** One GET; the body is read up to the output limit. */
function get(
  url: URL,
  headers: OutgoingHttpHeaders,
  signal: AbortSignal,
): Promise<{ res: IncomingMessage; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'GET', headers, signal, agent: false, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () =>
          resolve({ res, body: Buffer.concat(chunks).subarray(0, MAX_PROBE_OUTPUT).toString('utf8') });
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size >= MAX_PROBE_OUTPUT) {
            res.destroy();
            finish();
          }
        });
        res.on('end', finish);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs the probe URL: a status in 200-399 is a success. Redirects to the same host are
 * followed (up to 10); one to another host is not, and counts as a success with a warning.
 */
export async function httpProbe(
  action: HTTPGetAction,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const first = probeUrl(action, target);
  const headers = probeHeaders(action);
  const signal = AbortSignal.timeout(timeoutMs);
  let url = first;
  for (let redirects = 0; ; redirects++) {
    let res: IncomingMessage;
    let body: string;
    try {
      ({ res, body } = await get(url, headers, signal));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = signal.aborted
        ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        : dialError(`${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`, err);
      return { result: 'failure', output: `Get "${url.href}": ${why}` };
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location) {
      const next = new URL(location, url);
      if (next.hostname === first.hostname) {
        if (redirects + 1 >= MAX_REDIRECTS)
          return {
            result: 'failure',
            output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects`,
          };
        url = next;
        continue;
      }
    }
    if (status >= 200 && status < 400) {
      if (status >= 300)
        return { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
      return { result: 'success', output: body };
    }
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
  }
}
