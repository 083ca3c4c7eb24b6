import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { issueServingCertificate } from '../../control-plane/apiserver/pki.js';
import { type KubectlResult, kubectlFor } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

/** A stand-in kubelet on loopback: it answers the paths the API server proxies to. */
let server: TestServer;
let kubelet: Server;
let kubectl: (args: string[], stdin?: string, timeoutMs?: number) => Promise<KubectlResult>;
const seen: { path: string; clientCn?: string }[] = [];

beforeAll(async () => {
  server = await startSkiffServer();
  kubectl = kubectlFor(server.kubeconfig);
  const ca = {
    caCertPem: readFileSync(`${server.dataDir}/tls/ca.crt`, 'utf8'),
    caKeyPem: readFileSync(`${server.dataDir}/tls/ca.key`, 'utf8'),
  };
  const serving = await issueServingCertificate(
    ca,
    { commonName: 'kubelet', hostnames: ['localhost'], ips: ['127.0.0.1'] },
    1,
  );
  kubelet = createServer(
    { key: serving.keyPem, cert: serving.certPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const cert = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({ path: req.url ?? '', clientCn: cert?.subject?.CN as string | undefined });
      if (req.url?.startsWith('/containerLogs/default/logger/main')) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('line one\nline two\n');
        return;
      }
      res.writeHead(404);
      res.end('not found');
    },
  );
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
  });
  kubelet.on('upgrade', (req, socket, head) => {
    seen.push({ path: req.url ?? '' });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('exec says hi\n')]));
      const status = { metadata: {}, status: 'Success' };
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
      ws.close(1000);
    });
  });
  await new Promise<void>((resolve) => kubelet.listen(0, '127.0.0.1', resolve));
  const port = (kubelet.address() as { port: number }).port;
  const node = await server.fetch('POST', '/api/v1/nodes', {
    metadata: { name: 'fake-node' },
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  });
  expect(node.status).toBe(201);
  const pod = await server.fetch('POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'logger' },
    spec: { nodeName: 'fake-node', containers: [{ name: 'main', image: 'busybox' }] },
  });
  expect(pod.status).toBe(201);
});

afterAll(async () => {
  kubelet?.closeAllConnections();
  await new Promise((r) => kubelet?.close(r));
  await server?.stop();
});

describe('API server proxies node-bound subresources to the kubelet', () => {
  it('streams kubectl logs from the kubelet, authenticated with its kubelet client certificate', async () => {
    const out = await kubectl(['logs', 'logger']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('line one\nline two\n');
    const hit = seen.find((s) => s.path.startsWith('/containerLogs/default/logger/main'));
    expect(hit?.clientCn).toBe('kube-apiserver-kubelet-client');
  });

  it('upgrades kubectl exec to the kubelet over WebSocket v5', async () => {
    const out = await kubectl(['exec', 'logger', '--', 'echo', 'hi']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('exec says hi\n');
    const hit = seen.find((s) => s.path.startsWith('/exec/default/logger/main'));
    expect(hit?.path).toContain('command=echo');
  });

  it('answers a readable error when the pod has no node', async () => {
    await server.fetch('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'unbound' },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    });
    const out = await kubectl(['logs', 'unbound']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('does not have a host assigned');
  });
});
