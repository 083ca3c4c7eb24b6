import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, type PodSandboxConfig } from '../../../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';

const run = promisify(execFile);
const netns = `skiff-shim-${process.pid}`;
let ctrd: TestContainerd | undefined;
let cri: CriClient;

beforeAll(async () => {
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  ctrd = await startTestContainerd({ netns });
  await ctrd.importImage(await buildBusyboxImage({ name: BUSYBOX_IMAGE, outDir: ctrd.root }), BUSYBOX_IMAGE);
  // A bridge network for pods, inside the namespace only.
  await writeFile(
    join(ctrd.cniConfDir, '05-bridge.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'skiff-test-bridge',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.250.7.0/24' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(ctrd.root, 'cni', 'ipam'),
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  await rm(join(ctrd.cniConfDir, '10-loopback.conflist'));
  cri = new CriClient({ endpoint: ctrd.endpoint });
  // containerd reloads conf_dir on change; wait until it uses the bridge network.
  for (let i = 0; ; i++) {
    const s = await cri.runtime.status(true);
    if ((s.info.cniconfig ?? '').includes('skiff-test-bridge')) break;
    if (i > 100) throw new Error(`containerd did not load the bridge CNI config: ${s.info.cniconfig}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  cri?.close();
  await ctrd?.stop();
  await run('ip', ['netns', 'del', netns]).catch(() => undefined);
});

describe('pod network through containerd and bridge CNI', () => {
  it('gives the sandbox its own IP and hostname', async () => {
    if (!ctrd) throw new Error('containerd did not start');
    const uid = `uid-net-${Date.now()}`;
    const config: PodSandboxConfig = {
      metadata: { name: 'netpod', uid, namespace: 'default', attempt: 0 },
      hostname: 'netpod',
      logDirectory: join(ctrd.root, 'pods', `default_netpod_${uid}`),
      dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
      portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 0 }],
      linux: { cgroupParent: `${ctrd.cgroupRoot}/pod${uid}` },
    };
    const t0 = performance.now();
    const podId = await cri.runtime.runPodSandbox({ config });
    const runMs = Math.round(performance.now() - t0);
    const st = await cri.runtime.podSandboxStatus(podId);
    expect(st.status?.state).toBe('SANDBOX_READY');
    const ip = st.status?.network?.ip ?? '';
    expect(ip).toMatch(/^10\.250\.7\.\d+$/);

    const containerId = await cri.runtime.createContainer({
      podSandboxId: podId,
      sandboxConfig: config,
      config: {
        metadata: { name: 'app' },
        image: { image: BUSYBOX_IMAGE },
        command: ['sleep', '1000'],
        logPath: 'app/0.log',
      },
    });
    await cri.runtime.startContainer(containerId);
    const host = await cri.runtime.execSync({ containerId, cmd: ['hostname'], timeout: 5 });
    expect(host.stdout.toString()).toBe('netpod\n');
    const addr = await cri.runtime.execSync({
      containerId,
      cmd: ['ip', '-4', 'addr', 'show', 'eth0'],
      timeout: 5,
    });
    expect(addr.stdout.toString()).toContain(`inet ${ip}/24`);
    const resolv = await cri.runtime.execSync({ containerId, cmd: ['cat', '/etc/resolv.conf'], timeout: 5 });
    expect(resolv.stdout.toString()).toMatch(/nameserver 10\.96\.0\.10/);
    expect(resolv.stdout.toString()).toMatch(/options ndots:5/);

    await cri.runtime.stopPodSandbox(podId);
    await cri.runtime.removePodSandbox(podId);
    process.stdout.write(`RunPodSandbox with bridge CNI: ${runMs} ms\n`);
  });
});
