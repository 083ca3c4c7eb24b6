import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CriCommandIO, criCommand } from '../../../bin/commands/cri.js';
import { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';

let ctrd: TestContainerd;
let cri: CriClient;
let podId: string;
let containerId: string;

beforeAll(async () => {
  ctrd = await startTestContainerd();
  await ctrd.importImage(await buildBusyboxImage({ name: BUSYBOX_IMAGE, outDir: ctrd.root }), BUSYBOX_IMAGE);
  cri = new CriClient({ endpoint: ctrd.endpoint });
  const uid = `uid-${Date.now()}`;
  const config = {
    metadata: { name: 'toolbox', uid, namespace: 'kube-system', attempt: 0 },
    logDirectory: join(ctrd.root, 'pods', `kube-system_toolbox_${uid}`),
    linux: {
      cgroupParent: `${ctrd.cgroupRoot}/pod${uid}`,
      securityContext: { namespaceOptions: { network: 'NODE' as const } },
    },
  };
  podId = await cri.runtime.runPodSandbox({ config });
  containerId = await cri.runtime.createContainer({
    podSandboxId: podId,
    sandboxConfig: config,
    config: {
      metadata: { name: 'shell', attempt: 2 },
      image: { image: BUSYBOX_IMAGE },
      command: ['sh', '-c', 'echo first line; printf "no newline"; echo; echo to-stderr >&2; sleep 1000'],
      logPath: 'shell/2.log',
    },
  });
  await cri.runtime.startContainer(containerId);
});

afterAll(async () => {
  cri?.close();
  await ctrd?.stop();
});

async function skiffCri(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const r = { out: '', err: '', code: 0 };
  const io: CriCommandIO = {
    out: (t) => {
      r.out += t;
    },
    err: (t) => {
      r.err += t;
    },
    setExitCode: (c) => {
      r.code = c;
    },
  };
  await criCommand(io).parseAsync(['--runtime-endpoint', ctrd.endpoint, ...args], { from: 'user' });
  return r;
}

describe('skiff cri', () => {
  it('ps lists the running container in a table', async () => {
    const { out, code } = await skiffCri('ps');
    expect(code).toBe(0);
    const [header, ...rows] = out.trimEnd().split('\n');
    expect(header).toMatch(/^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID$/);
    expect(rows).toHaveLength(1);
    expect(rows[0].split(/\s{3,}/)).toEqual([
      containerId.slice(0, 13),
      BUSYBOX_IMAGE,
      expect.stringMatching(/ago|Just now/),
      'RUNNING',
      'shell',
      '2',
      podId.slice(0, 13),
    ]);
  });

  it('images lists imported images with tag, id and size', async () => {
    const { out } = await skiffCri('images');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    const busybox = lines.find((l) => l.startsWith('docker.io/skiff/busybox '));
    expect(busybox?.split(/\s+/)).toEqual([
      'docker.io/skiff/busybox',
      'test',
      expect.stringMatching(/^[0-9a-f]{13}$/),
      expect.stringMatching(/^[\d.]+MB$/),
    ]);
    expect(lines.some((l) => l.startsWith('docker.io/skiff/pause '))).toBe(true);
  });

  it('pods lists the sandbox', async () => {
    const { out } = await skiffCri('pods');
    expect(out).toMatch(
      new RegExp(
        `^${podId.slice(0, 13)}\\s+\\S.*\\s+READY\\s+toolbox\\s+kube-system\\s+0\\s+\\(default\\)$`,
        'm',
      ),
    );
  });

  it('logs prints the message parts of the CRI log, stderr apart', async () => {
    let r = await skiffCri('logs', containerId.slice(0, 8));
    for (let i = 0; i < 40 && !r.err.includes('to-stderr'); i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await skiffCri('logs', containerId.slice(0, 8));
    }
    expect(r.out).toBe('first line\nno newline\n');
    expect(r.err).toBe('to-stderr\n');
  });

  it('exec runs a command and passes its exit code on', async () => {
    const ok = await skiffCri('exec', containerId, '--', 'sh', '-c', 'echo $((40+2))');
    expect(ok).toEqual({ out: '42\n', err: '', code: 0 });
    const bad = await skiffCri('exec', containerId, '--', 'sh', '-c', 'exit 7');
    expect(bad.code).toBe(7);
  });

  it('inspect and inspectp print JSON status', async () => {
    const c = JSON.parse((await skiffCri('inspect', containerId)).out);
    expect(c.status.state).toBe('CONTAINER_RUNNING');
    expect(c.status.metadata).toEqual({ name: 'shell', attempt: 2 });
    const p = JSON.parse((await skiffCri('inspectp', podId.slice(0, 10))).out);
    expect(p.status.state).toBe('SANDBOX_READY');
  });

  it('info shows the runtime version and conditions', async () => {
    const info = JSON.parse((await skiffCri('info')).out);
    expect(info.version.runtimeApiVersion).toBe('v1');
    expect(info.status.conditions.map((c: { type: string }) => c.type)).toContain('RuntimeReady');
  });

  it('reports a missing container as an error with exit code 1', async () => {
    const r = await skiffCri('inspect', 'ffffffffff');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no container with an ID starting with ffffffffff/);
    const nf = await skiffCri('pull', '127.0.0.1:1/skiff/absent:none', '--creds', 'u:p');
    expect(nf.code).toBe(1);
    expect(nf.err).toMatch(/PullImage/);
  });
});
