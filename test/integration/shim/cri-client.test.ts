import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CriClient,
  type CriError,
  isCriDeadline,
  isCriNotFound,
  isCriUnavailable,
  type PodSandboxConfig,
} from '../../../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';

let ctrd: TestContainerd;
let cri: CriClient;

beforeAll(async () => {
  ctrd = await startTestContainerd();
  await ctrd.importImage(await buildBusyboxImage({ name: BUSYBOX_IMAGE, outDir: ctrd.root }), BUSYBOX_IMAGE);
  cri = new CriClient({ endpoint: ctrd.endpoint });
  await cri.waitForReady(5000);
});

afterAll(async () => {
  cri?.close();
  await ctrd?.stop();
});

function sandboxConfig(name: string): PodSandboxConfig {
  const uid = `uid-${name}-${Date.now()}`;
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    logDirectory: join(ctrd.root, 'pods', `default_${name}_${uid}`),
    labels: { 'io.kubernetes.pod.name': name, 'skiff.test/suite': 'shim' },
    annotations: { 'skiff.test/note': 'kept as is' },
    linux: {
      cgroupParent: `${ctrd.cgroupRoot}/pod${uid}`,
      // The node's network namespace: no CNI network needed (and no hostname allowed).
      securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

async function caught(p: Promise<unknown>): Promise<CriError> {
  try {
    await p;
  } catch (e) {
    return e as CriError;
  }
  throw new Error('expected the call to fail');
}

describe('CRI shim against a real containerd', () => {
  it('reports the runtime.v1 API version and a ready runtime', async () => {
    const v = await cri.runtime.version();
    expect(v.runtimeApiVersion).toBe('v1');
    expect(v.runtimeName).toBe('containerd');
    const s = await cri.runtime.status();
    const ready = s.status?.conditions.find((c) => c.type === 'RuntimeReady');
    expect(ready?.status).toBe(true);
  });

  it('sees the imported image in ImageStatus and ListImages, and nothing for a missing one', async () => {
    const st = await cri.images.imageStatus(BUSYBOX_IMAGE);
    expect(st.image?.repoTags).toContain(BUSYBOX_IMAGE);
    expect(Number(st.image?.size)).toBeGreaterThan(500_000);
    const all = await cri.images.listImages();
    expect(all.flatMap((i) => i.repoTags)).toEqual(expect.arrayContaining([BUSYBOX_IMAGE, ctrd.pauseImage]));
    expect((await cri.images.imageStatus('docker.io/skiff/absent:none')).image).toBeNull();
    const fs = await cri.images.imageFsInfo();
    expect(fs.imageFilesystems.length).toBeGreaterThan(0);
  });

  it('runs a sandbox and a container: status, exec, logs, stats, stop and remove', async () => {
    const timings: Record<string, number> = {};
    const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await f();
      } finally {
        timings[name] = Math.round(performance.now() - t0);
      }
    };
    const config = sandboxConfig('web');
    const podId = await timed('RunPodSandbox', () => cri.runtime.runPodSandbox({ config }));
    const ps = await cri.runtime.podSandboxStatus(podId);
    expect(ps.status?.state).toBe('SANDBOX_READY');
    expect(ps.status?.metadata?.name).toBe('web');
    expect(ps.status?.annotations['skiff.test/note']).toBe('kept as is');

    const containerId = await timed('CreateContainer', () =>
      cri.runtime.createContainer({
        podSandboxId: podId,
        sandboxConfig: config,
        config: {
          metadata: { name: 'main', attempt: 0 },
          image: { image: BUSYBOX_IMAGE },
          command: ['sh', '-c', 'echo hello; echo "$GREETING" >&2; sleep 1000'],
          envs: [{ key: 'GREETING', value: 'from-env' }],
          logPath: 'main/0.log',
          labels: { 'io.kubernetes.container.name': 'main' },
        },
      }),
    );
    await timed('StartContainer', () => cri.runtime.startContainer(containerId));

    const cs = await cri.runtime.containerStatus(containerId);
    expect(cs.status?.state).toBe('CONTAINER_RUNNING');
    expect(cs.status?.image?.image).toBe(BUSYBOX_IMAGE);
    expect(cs.status?.logPath).toBe(join(config.logDirectory ?? '', 'main/0.log'));
    expect(BigInt(cs.status?.startedAt ?? '0')).toBeGreaterThan(0n);

    const listed = await cri.runtime.listContainers({ podSandboxId: podId });
    expect(listed.map((c) => c.id)).toEqual([containerId]);
    const byLabel = await cri.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'web' } });
    expect(byLabel.map((p) => p.id)).toEqual([podId]);

    const ex = await timed('ExecSync', () =>
      cri.runtime.execSync({ containerId, cmd: ['echo', 'hi'], timeout: 5 }),
    );
    expect(ex.stdout.toString()).toBe('hi\n');
    expect(ex.exitCode).toBe(0);
    const fail = await cri.runtime.execSync({ containerId, cmd: ['sh', '-c', 'echo oops >&2; exit 3'] });
    expect(fail.exitCode).toBe(3);
    expect(fail.stderr.toString()).toBe('oops\n');

    let log = '';
    for (let i = 0; i < 50 && !log.includes('from-env'); i++) {
      log = await readFile(cs.status?.logPath ?? '', 'utf8').catch(() => '');
      if (!log.includes('from-env')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(log).toMatch(/^\S+ stdout F hello$/m);
    expect(log).toMatch(/^\S+ stderr F from-env$/m);

    await cri.runtime.reopenContainerLog(containerId);

    const url = await cri.runtime.exec({ containerId, cmd: ['sh'], stdin: true, stdout: true });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[\w-]+$/);
    expect(await cri.runtime.portForward({ podSandboxId: podId, port: [80] })).toMatch(/\/portforward\//);

    const stats = await cri.runtime.containerStats(containerId);
    expect(stats?.attributes?.id).toBe(containerId);
    expect(Number(stats?.memory?.workingSetBytes?.value ?? 0)).toBeGreaterThan(0);

    const podStats = await cri.runtime.podSandboxStats(podId);
    expect(podStats?.attributes?.id).toBe(podId);
    expect(podStats?.linux?.containers.map((c) => c.attributes?.id)).toContain(containerId);
    expect(
      (await cri.runtime.listContainerStats({ podSandboxId: podId })).map((c) => c.attributes?.id),
    ).toEqual([containerId]);

    await cri.runtime.updateContainerResources({ containerId, linux: { cpuShares: 512 } });

    await timed('StopContainer', () => cri.runtime.stopContainer(containerId, 0));
    const stopped = await cri.runtime.containerStatus(containerId);
    expect(stopped.status?.state).toBe('CONTAINER_EXITED');
    expect(stopped.status?.exitCode).toBe(137);
    await timed('RemoveContainer', () => cri.runtime.removeContainer(containerId));
    await timed('StopPodSandbox', () => cri.runtime.stopPodSandbox(podId));
    await timed('RemovePodSandbox', () => cri.runtime.removePodSandbox(podId));
    expect((await cri.runtime.listPodSandbox()).map((p) => p.id)).not.toContain(podId);
    // Idempotent removal, as the CRI requires.
    await cri.runtime.removeContainer(containerId);
    await cri.runtime.removePodSandbox(podId);
    process.stdout.write(`raw CRI timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it('maps NotFound to SKIFF_CRI_NOT_FOUND with the runtime message', async () => {
    const e = await caught(cri.runtime.containerStatus('does-not-exist'));
    expect(isCriNotFound(e)).toBe(true);
    expect(e.code).toBe('SKIFF_CRI_NOT_FOUND');
    expect(e.method).toBe('RuntimeService/ContainerStatus');
    expect(e.runtimeMessage).toMatch(/does-not-exist/);
    expect(isCriNotFound(await caught(cri.runtime.podSandboxStatus('nope')))).toBe(true);
  });

  it('fails a call past its deadline with SKIFF_CRI_DEADLINE', async () => {
    const e = await caught(cri.runtime.version({ timeoutMs: 0 }));
    expect(isCriDeadline(e)).toBe(true);
  });

  it('fails fast with SKIFF_CRI_UNAVAILABLE when nothing listens on the socket', async () => {
    const other = new CriClient({ endpoint: join(ctrd.root, 'nothing.sock'), timeoutMs: 2000 });
    try {
      const e = await caught(other.runtime.version());
      expect(isCriUnavailable(e)).toBe(true);
      expect(isCriUnavailable(await caught(other.waitForReady(200)))).toBe(true);
    } finally {
      other.close();
    }
  });

  it('reconnects after containerd restarts; a running sandbox survives', async () => {
    const config = sandboxConfig('survivor');
    const podId = await cri.runtime.runPodSandbox({ config });
    await cri.runtime.version();
    await ctrd.restart();
    const v = await cri.runtime.version();
    expect(v.runtimeApiVersion).toBe('v1');
    const ps = await cri.runtime.podSandboxStatus(podId);
    expect(ps.status?.state).toBe('SANDBOX_READY');
    await cri.runtime.stopPodSandbox(podId);
    await cri.runtime.removePodSandbox(podId);
  });

  it('fails fast while containerd is down and recovers within a second of its return', async () => {
    await ctrd.terminate();
    const t0 = performance.now();
    const e = await caught(cri.runtime.version());
    expect(isCriUnavailable(e)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
    await ctrd.start();
    const back = performance.now();
    for (;;) {
      try {
        await cri.runtime.version();
        break;
      } catch (err) {
        expect(isCriUnavailable(err)).toBe(true);
        if (performance.now() - back > 3000) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(performance.now() - back).toBeLessThan(1500);
  });

  it('with waitForReady, a call made while containerd is down completes once it is back', async () => {
    const patient = new CriClient({ endpoint: ctrd.endpoint, waitForReady: true, timeoutMs: 20_000 });
    try {
      await patient.runtime.version();
      const restarting = ctrd.restart();
      await new Promise((r) => setTimeout(r, 20));
      const v = await patient.runtime.version();
      expect(v.runtimeName).toBe('containerd');
      await restarting;
    } finally {
      patient.close();
    }
  });
});
