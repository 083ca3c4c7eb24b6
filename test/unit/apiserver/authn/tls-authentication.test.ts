import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StaticTokenFile,
  SYSTEM_AUTHENTICATED,
  SYSTEM_MASTERS,
  TokenAuthenticator,
  UnionAuthenticator,
  type UserInfo,
  X509Authenticator,
} from '../../../../control-plane/apiserver/authn/index.js';
import { writeKubeconfig } from '../../../../control-plane/apiserver/kubeconfig-file.js';
import { ensurePki, issueClientCertificate, type Pki } from '../../../../control-plane/apiserver/pki.js';

const run = promisify(execFile);
const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.4' };
const TOKEN = 'f00dfeed-token';

function onPath(cmd: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((d) => join(d, cmd))
    .find((p) => existsSync(p));
}

interface Reply {
  status: number;
  body: unknown;
}

/**
 * An HTTPS server configured as the apiserver will be: client certificates requested but not
 * required, verified against the cluster CA. It answers with the authenticated user or 401.
 */
describe('authentication over a real TLS server', () => {
  let root: string;
  let pki: Pki;
  let server: Server;
  let port: number;
  const seen: (UserInfo | undefined)[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-authn-'));
    pki = await ensurePki(join(root, 'pki'), { hostnames: [], ips: ['10.96.0.1'] });
    const tokenFile = join(root, 'tokens.csv');
    await writeFile(tokenFile, `${TOKEN},robot,42,"ci,builders"\n`);
    const authenticator = new UnionAuthenticator([
      new X509Authenticator(),
      new TokenAuthenticator(await StaticTokenFile.load(tokenFile)),
    ]);
    server = createServer(
      {
        key: pki.servingKeyPem,
        cert: pki.servingCertPem,
        ca: [pki.caCertPem],
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        authenticator.authenticate(req).then(
          (user) => {
            seen.push(user);
            if (req.url === '/version') return reply(200, VERSION);
            if (!user) return reply(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 401 });
            reply(200, { kind: 'WhoAmI', user });
          },
          (e: unknown) => reply(500, { error: String(e) }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await rm(root, { recursive: true, force: true });
  });

  function get(opts: { cert?: string; key?: string; headers?: Record<string, string> }): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          ca: pki.caCertPem,
          cert: opts.cert,
          key: opts.key,
          headers: opts.headers,
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('authenticates the admin certificate as kubernetes-admin in system:masters', async () => {
    const reply = await get({ cert: pki.adminCertPem, key: pki.adminKeyPem });
    expect(reply).toEqual({
      status: 200,
      body: {
        kind: 'WhoAmI',
        user: { username: 'kubernetes-admin', groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] },
      },
    });
  });

  it('authenticates a certificate issued later by the same CA, with every O as a group', async () => {
    const node = await issueClientCertificate(
      pki,
      { commonName: 'system:node:w1', organizations: ['system:nodes', 'skiff:agents'] },
      1,
    );
    const reply = await get({ cert: node.certPem, key: node.keyPem });
    expect(reply.body).toEqual({
      kind: 'WhoAmI',
      user: { username: 'system:node:w1', groups: ['system:nodes', 'skiff:agents', SYSTEM_AUTHENTICATED] },
    });
  });

  it('does not authenticate a certificate from another CA', async () => {
    const foreign = await ensurePki(join(root, 'foreign'), { hostnames: [], ips: [] });
    seen.length = 0;
    const reply = await get({ cert: foreign.adminCertPem, key: foreign.adminKeyPem });
    expect(reply.status).toBe(401);
    expect(seen).toEqual([undefined]);
  });

  it('authenticates a bearer token from the static token file', async () => {
    const reply = await get({ headers: { authorization: `Bearer ${TOKEN}` } });
    expect(reply.body).toEqual({
      kind: 'WhoAmI',
      user: { username: 'robot', uid: '42', groups: ['ci', 'builders', SYSTEM_AUTHENTICATED] },
    });
  });

  it('does not authenticate an unknown token or a request without credentials', async () => {
    expect((await get({ headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    seen.length = 0;
    expect((await get({})).status).toBe(401);
    expect(seen).toEqual([undefined]);
  });

  it('is accepted by curl (OpenSSL) with the CA, admin certificate and key files', async () => {
    const dir = pki.dir;
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--fail-with-body',
      '--cacert',
      join(dir, 'ca.crt'),
      '--cert',
      join(dir, 'admin.crt'),
      '--key',
      join(dir, 'admin.key'),
      `https://127.0.0.1:${port}/`,
    ]);
    expect(JSON.parse(stdout).user.username).toBe('kubernetes-admin');
    const viaName = await run('curl', [
      '--silent',
      '--show-error',
      '--cacert',
      join(dir, 'ca.crt'),
      '--resolve',
      `kubernetes.default.svc:${port}:127.0.0.1`,
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      `https://kubernetes.default.svc:${port}/`,
    ]);
    expect(JSON.parse(viaName.stdout).user.username).toBe('robot');
  });

  const kubectl = onPath('kubectl');
  // Go's crypto/tls and x509 are stricter than OpenSSL in places; kubectl is the client that matters.
  it.runIf(kubectl !== undefined || process.env.CI === 'true')(
    'is accepted by kubectl (Go) through a written kubeconfig, with certificate and with token',
    { timeout: 60_000 },
    async () => {
      expect(kubectl, 'kubectl must be on PATH').toBeDefined();
      const env = { ...process.env, HOME: root, KUBECACHEDIR: join(root, 'kube-cache') };
      const certConfig = join(root, 'admin.kubeconfig');
      await writeKubeconfig(certConfig, {
        clusterName: 'skiff',
        server: `https://127.0.0.1:${port}`,
        caPem: pki.caCertPem,
        user: 'kubernetes-admin',
        certPem: pki.adminCertPem,
        keyPem: pki.adminKeyPem,
      });
      const asAdmin = await run(kubectl!, ['--kubeconfig', certConfig, 'get', '--raw', '/'], { env });
      expect(JSON.parse(asAdmin.stdout)).toEqual({
        kind: 'WhoAmI',
        user: { username: 'kubernetes-admin', groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] },
      });

      const tokenConfig = join(root, 'robot.kubeconfig');
      await writeKubeconfig(tokenConfig, {
        clusterName: 'skiff',
        server: `https://127.0.0.1:${port}`,
        caPem: pki.caCertPem,
        user: 'robot',
        token: TOKEN,
      });
      const asRobot = await run(kubectl!, ['--kubeconfig', tokenConfig, 'get', '--raw', '/'], { env });
      expect(JSON.parse(asRobot.stdout).user.username).toBe('robot');
    },
  );
});
