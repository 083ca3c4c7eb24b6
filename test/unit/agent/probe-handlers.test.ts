import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server as GrpcServer,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import type { Container } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execProbe, expandCommand } from '../../../agent/probes/exec-probe.js';
import {
  decodeHealthRequest,
  encodeHealthRequest,
  encodeHealthResponse,
} from '../../../agent/probes/grpc-health-codec.js';
import { grpcProbe } from '../../../agent/probes/grpc-probe.js';
import { httpProbe } from '../../../agent/probes/http-probe.js';
import { ProbeError, type ProbeTarget } from '../../../agent/probes/probe-outcome.js';
import { createProbeRunner } from '../../../agent/probes/probe-runner.js';
import { tcpProbe } from '../../../agent/probes/tcp-probe.js';
import { ensurePki } from '../../../control-plane/apiserver/pki.js';
import { type CriClient, CriError, type ExecSyncRequest } from '../../../shim/index.js';
import { freePort } from '../../support/ports.js';

const container: Container = { name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 0 }] };
const target = (c: Container = container): ProbeTarget => ({
  pod: { metadata: { name: 'p', namespace: 'ns', uid: 'u' } },
  podIP: '127.0.0.1',
  container: c,
  containerId: 'cid',
});

describe('httpGet probe', () => {
  let server: Server;
  let port: number;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      const url = new URL(req.url ?? '/', 'http://x');
      const code = Number(url.searchParams.get('code') ?? 200);
      if (url.pathname === '/hang') return;
      if (url.pathname === '/loop') {
        res.writeHead(302, { location: '/loop' }).end();
        return;
      }
      const location = url.searchParams.get('to');
      if (location) {
        res.writeHead(code, { location }).end('moved');
        return;
      }
      res.writeHead(code).end(`body of ${url.pathname}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('succeeds on 2xx with the body, sending kube-probe headers and the given ones', async () => {
    const out = await httpProbe(
      { port, path: '/healthz', httpHeaders: [{ name: 'X-Custom', value: 'yes' }] },
      target(),
      1000,
    );
    expect(out).toEqual({ result: 'success', output: 'body of /healthz' });
    const req = seen.at(-1);
    expect(req?.url).toBe('/healthz');
    expect(req?.headers['user-agent']).toBe('kube-probe/1.32');
    expect(req?.headers.accept).toBe('*/*');
    expect(req?.headers['x-custom']).toBe('yes');
  });

  it('lets the probe override User-Agent and Host, and resolves a named port', async () => {
    const c: Container = { ...container, ports: [{ name: 'web', containerPort: port }] };
    const out = await httpProbe(
      {
        port: 'web',
        path: 'x',
        httpHeaders: [
          { name: 'Host', value: 'example.test' },
          { name: 'User-Agent', value: 'mine' },
        ],
      },
      target(c),
      1000,
    );
    expect(out.result).toBe('success');
    expect(seen.at(-1)?.url).toBe('/x');
    expect(seen.at(-1)?.headers.host).toBe('example.test');
    expect(seen.at(-1)?.headers['user-agent']).toBe('mine');
  });

  it('fails on 4xx and 5xx with the status code', async () => {
    expect(await httpProbe({ port, path: '/?code=503' }, target(), 1000)).toEqual({
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 503',
    });
    expect((await httpProbe({ port, path: '/?code=404' }, target(), 1000)).result).toBe('failure');
  });

  it('follows a redirect on the same host', async () => {
    const out = await httpProbe(
      { port, path: `/?code=301&to=${encodeURIComponent('/landed')}` },
      target(),
      1000,
    );
    expect(out).toEqual({ result: 'success', output: 'body of /landed' });
  });

  it('does not follow a redirect to another host: a success with a warning', async () => {
    const out = await httpProbe(
      { port, path: `/?code=302&to=${encodeURIComponent('http://elsewhere.invalid/')}` },
      target(),
      1000,
    );
    expect(out).toEqual({ result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  });

  it('fails after 10 redirects', async () => {
    const out = await httpProbe({ port, path: '/loop' }, target(), 2000);
    expect(out.result).toBe('failure');
    expect(out.output).toMatch(/stopped after 10 redirects$/);
  });

  it('fails when no response comes within the timeout', async () => {
    const t0 = Date.now();
    const out = await httpProbe({ port, path: '/hang' }, target(), 300);
    expect(out.result).toBe('failure');
    expect(out.output).toContain('Client.Timeout exceeded');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('fails when the connection is refused', async () => {
    const closed = await freePort();
    const out = await httpProbe({ port: closed }, target(), 1000);
    expect(out).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });

  it('cannot run with an unknown port name', async () => {
    await expect(httpProbe({ port: 'nope' }, target(), 1000)).rejects.toBeInstanceOf(ProbeError);
  });
});

describe('tcpSocket probe', () => {
  it('succeeds when a connection opens and fails when refused', async () => {
    const server = createTcpServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await tcpProbe({ port }, target(), 1000)).toEqual({ result: 'success', output: '' });
      expect(
        await tcpProbe(
          { port: 'http' },
          target({ ...container, ports: [{ name: 'http', containerPort: port }] }),
          1000,
        ),
      ).toEqual({ result: 'success', output: '' });
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await tcpProbe({ port }, target(), 1000)).toEqual({
      result: 'failure',
      output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });
});

describe('grpc probe', () => {
  let server: GrpcServer;
  let port: number;
  const health = new Map<string, string>([
    ['', 'SERVING'],
    ['db', 'NOT_SERVING'],
  ]);

  beforeAll(async () => {
    server = new GrpcServer();
    server.register(
      '/grpc.health.v1.Health/Check',
      (call: ServerUnaryCall<{ service: string }, string>, callback: sendUnaryData<string>) => {
        const s = health.get(call.request.service);
        if (s) callback(null, s);
        else callback({ code: status.NOT_FOUND, details: 'unknown service' });
      },
      encodeHealthResponse,
      decodeHealthRequest,
      'unary',
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it('encodes the health request as the proto does', () => {
    expect(encodeHealthRequest('db').toString('hex')).toBe('0a026462');
  });

  it('succeeds for SERVING and fails otherwise', async () => {
    expect(await grpcProbe({ port }, target(), 2000)).toEqual({
      result: 'success',
      output: 'service is healthy',
    });
    expect(await grpcProbe({ port, service: 'db' }, target(), 2000)).toEqual({
      result: 'failure',
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
    const unknown = await grpcProbe({ port, service: 'x' }, target(), 2000);
    expect(unknown.result).toBe('failure');
    expect(unknown.output).toMatch(/^error: health rpc probe failed: .*unknown service/);
  });

  it('fails when nothing listens', async () => {
    const out = await grpcProbe({ port: await freePort() }, target(), 500);
    expect(out.result).toBe('failure');
    expect(out.output).toMatch(/^timeout: failed to connect service "127\.0\.0\.1:\d+" within 0\.5s/);
  });
});

describe('exec probe', () => {
  const fakeCri = (
    answer: (req: ExecSyncRequest) => Promise<{ exitCode: number; out?: string; err?: string }>,
  ) => {
    const calls: ExecSyncRequest[] = [];
    const cri = {
      runtime: {
        execSync: async (req: ExecSyncRequest) => {
          calls.push(req);
          const a = await answer(req);
          return { exitCode: a.exitCode, stdout: Buffer.from(a.out ?? ''), stderr: Buffer.from(a.err ?? '') };
        },
      },
    } as unknown as CriClient;
    return { cri, calls };
  };

  it('runs the command through ExecSync with the timeout; exit 0 is a success', async () => {
    const { cri, calls } = fakeCri(async (req) => ({
      exitCode: req.cmd[1] === 'ok' ? 0 : 1,
      out: 'o',
      err: 'e',
    }));
    expect(await execProbe(cri, { command: ['check', 'ok'] }, target(), 2500)).toEqual({
      result: 'success',
      output: 'oe',
    });
    expect(calls[0]).toEqual({ containerId: 'cid', cmd: ['check', 'ok'], timeout: 3 });
    expect(await execProbe(cri, { command: ['check', 'bad'] }, target(), 1000)).toEqual({
      result: 'failure',
      output: 'oe',
    });
  });

  it('fails on a timeout, and cannot run on other runtime errors', async () => {
    const deadline = fakeCri(async () => {
      throw new CriError('SKIFF_CRI_DEADLINE', 'RuntimeService/ExecSync', 'timeout 1s exceeded');
    });
    expect(await execProbe(deadline.cri, { command: ['sleep', '5'] }, target(), 1000)).toEqual({
      result: 'failure',
      output: 'command "sleep 5" timed out',
    });
    const gone = fakeCri(async () => {
      throw new CriError('SKIFF_CRI_NOT_FOUND', 'RuntimeService/ExecSync', 'container not found');
    });
    await expect(execProbe(gone.cri, { command: ['true'] }, target(), 1000)).rejects.toThrow(
      'exec probe: container not found',
    );
  });

  it('expands $(VAR) from the literal env values', () => {
    expect(
      expandCommand(
        ['cat', '$(FILE)', '$(MISSING)', '$$(FILE)', 'a$$b', '$(FROM)'],
        [
          { name: 'FILE', value: '/tmp/ready' },
          { name: 'FROM', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      ),
    ).toEqual(['cat', '/tmp/ready', '$(MISSING)', '$(FILE)', 'a$b', '']);
  });

  it('is picked by the runner from the probe, and a probe without a handler cannot run', async () => {
    const { cri, calls } = fakeCri(async () => ({ exitCode: 0 }));
    const run = createProbeRunner(cri);
    expect((await run({ exec: { command: ['true'] } }, target(), 1000)).result).toBe('success');
    expect(calls).toHaveLength(1);
    await expect(run({}, target(), 1000)).rejects.toBeInstanceOf(ProbeError);
  });
});

describe('httpGet probe over HTTPS', () => {
  it('does not verify the server certificate, as upstream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-probe-tls-'));
    try {
      const pki = await ensurePki(dir, { hostnames: [], ips: [] });
      const server = createHttpsServer({ cert: pki.servingCertPem, key: pki.servingKeyPem }, (_req, res) =>
        res.end('secure'),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        expect(await httpProbe({ scheme: 'HTTPS', port, path: '/' }, target(), 2000)).toEqual({
          result: 'success',
          output: 'secure',
        });
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('probes of a pod without an IP', () => {
  it('cannot run httpGet, tcpSocket or grpc probes', async () => {
    const noIP = { ...target(), podIP: '' };
    await expect(httpProbe({ port: 80 }, noIP, 100)).rejects.toThrow('the pod has no IP address yet');
    await expect(tcpProbe({ port: 80 }, noIP, 100)).rejects.toThrow('the pod has no IP address yet');
    await expect(grpcProbe({ port: 80 }, noIP, 100)).rejects.toThrow('the pod has no IP address yet');
    expect((await tcpProbe({ port: 1, host: '127.0.0.1' }, noIP, 500)).result).toBe('failure');
  });
});
