import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerGc, GarbageCollector, ImageGc } from '../../../agent/gc/index.js';
import { NodePressure, observeSignals, parseEvictionThresholds } from '../../../agent/node-pressure.js';
import { CriClient, type PodSandboxConfig } from '../../../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';

const USED_IMAGE = 'docker.io/skiff/gc-used:1';
const UNUSED_IMAGE = 'docker.io/skiff/gc-unused:1';
const log = pino({ level: process.env.SKIFF_TEST_LOG ?? 'silent' });

let ctrd: TestContainerd;
let cri: CriClient;
let podLogsDir: string;

beforeAll(async () => {
  ctrd = await startTestContainerd();
  podLogsDir = join(ctrd.root, 'pods');
  // Distinct commands make distinct image configs, so each tag is an image of its own.
  const images: [string, string[]][] = [
    [BUSYBOX_IMAGE, []],
    [USED_IMAGE, ['echo', 'used']],
    [UNUSED_IMAGE, ['echo', 'unused']],
  ];
  for (const [name, cmd] of images)
    await ctrd.importImage(
      await buildBusyboxImage({ name, outDir: ctrd.root, ...(cmd.length ? { cmd } : {}) }),
      name,
    );
  cri = new CriClient({ endpoint: ctrd.endpoint });
  await cri.waitForReady(5000);
});

afterAll(async () => {
  cri?.close();
  await ctrd?.stop();
});

function sandboxConfig(name: string, uid: string): PodSandboxConfig {
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    logDirectory: join(podLogsDir, `default_${name}_${uid}`),
    labels: {
      'io.kubernetes.pod.name': name,
      'io.kubernetes.pod.namespace': 'default',
      'io.kubernetes.pod.uid': uid,
    },
    linux: {
      cgroupParent: `${ctrd.cgroupRoot}/pod${uid}`,
      securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

/** Creates and starts one attempt of a container, as the kubelet labels them. */
async function startAttempt(
  sandboxId: string,
  config: PodSandboxConfig,
  name: string,
  attempt: number,
  command: string[],
  image = BUSYBOX_IMAGE,
): Promise<string> {
  const uid = config.metadata.uid;
  const id = await cri.runtime.createContainer({
    podSandboxId: sandboxId,
    sandboxConfig: config,
    config: {
      metadata: { name, attempt },
      image: { image },
      command,
      logPath: `${name}/${attempt}.log`,
      labels: {
        'io.kubernetes.container.name': name,
        'io.kubernetes.pod.uid': uid,
        'io.kubernetes.pod.name': config.metadata.name,
        'io.kubernetes.pod.namespace': 'default',
      },
    },
  });
  await cri.runtime.startContainer(id);
  return id;
}

async function waitExited(id: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const st = (await cri.runtime.containerStatus(id)).status;
    if (st?.state === 'CONTAINER_EXITED') return;
    if (Date.now() > deadline) throw new Error(`container ${id} did not exit: ${st?.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const containerIds = async (uid: string) =>
  (await cri.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } }))
    .map((c) => c.id)
    .sort();

describe('container garbage collection on containerd', () => {
  it('removes dead attempts beyond one per pod container, then all of a gone pod, then its sandbox', async () => {
    const uid = 'gc-pod-1';
    const config = sandboxConfig('crashy', uid);
    const sandboxId = await cri.runtime.runPodSandbox({ config });
    const attempts: string[] = [];
    for (let a = 0; a < 3; a++) {
      const id = await startAttempt(sandboxId, config, 'app', a, ['sh', '-c', `echo attempt-${a}`]);
      await waitExited(id);
      attempts.push(id);
    }
    const web = await startAttempt(sandboxId, config, 'web', 0, ['sleep', '1000']);
    const logOf = (a: number) => join(config.logDirectory ?? '', 'app', `${a}.log`);
    expect([0, 1, 2].map((a) => existsSync(logOf(a)))).toEqual([true, true, true]);

    const known = new Set([uid]);
    const gc = new ContainerGc({
      cri,
      log,
      isPodKnown: (u) => known.has(u),
      sourcesReady: () => true,
      podLogsDir,
    });

    const first = await gc.sync();
    expect(first.containers.sort()).toEqual([attempts[0], attempts[1]].sort());
    expect(first.sandboxes).toEqual([]);
    expect(await containerIds(uid)).toEqual([attempts[2], web].sort());
    // The oldest attempt's log went with it; the one before the newest stays for --previous.
    expect([0, 1, 2].map((a) => existsSync(logOf(a)))).toEqual([false, true, true]);

    // Nothing more to do while the pod exists.
    expect((await gc.sync()).containers).toEqual([]);

    // The pod is gone: its dead container goes, the running one and the ready sandbox stay.
    known.delete(uid);
    const second = await gc.sync();
    expect(second.containers).toEqual([attempts[2]]);
    expect(second.sandboxes).toEqual([]);
    expect(await containerIds(uid)).toEqual([web]);
    expect((await cri.runtime.containerStatus(web)).status?.state).toBe('CONTAINER_RUNNING');
    expect(existsSync(config.logDirectory ?? '')).toBe(true);

    // Once stopped (as the pod worker does for a deleted pod), all of it goes, logs included.
    await cri.runtime.stopPodSandbox(sandboxId);
    const third = await gc.sync();
    expect(third.containers).toEqual([web]);
    expect(third.sandboxes).toEqual([sandboxId]);
    expect(await cri.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).toEqual([]);
    expect(existsSync(config.logDirectory ?? '')).toBe(false);
  });

  it('removes nothing of an unknown pod before the pod sources are ready', async () => {
    const uid = 'gc-pod-2';
    const config = sandboxConfig('early', uid);
    const sandboxId = await cri.runtime.runPodSandbox({ config });
    const id = await startAttempt(sandboxId, config, 'app', 0, ['true']);
    await waitExited(id);
    const gc = new ContainerGc({ cri, log, isPodKnown: () => false, sourcesReady: () => false, podLogsDir });
    const r = await gc.sync();
    expect(r.containers).toEqual([]);
    expect(await containerIds(uid)).toEqual([id]);
    await cri.runtime.stopPodSandbox(sandboxId);
    await cri.runtime.removePodSandbox(sandboxId);
  });
});

describe('image garbage collection on containerd', () => {
  it('removes an unused image when the thresholds are forced, never a used one or the pause image', async () => {
    const uid = 'gc-pod-images';
    const config = sandboxConfig('user', uid);
    const sandboxId = await cri.runtime.runPodSandbox({ config });
    // A dead container still counts as using its image (upstream lists all containers).
    const user = await startAttempt(sandboxId, config, 'app', 0, ['true'], USED_IMAGE);
    await waitExited(user);
    const present = async (ref: string) => (await cri.images.imageStatus(ref)).image !== null;
    const unusedId = (await cri.images.imageStatus(UNUSED_IMAGE)).image?.id;
    expect(unusedId).toMatch(/^sha256:/);

    // Usage is far above 0%, but every image is younger than the default 2-minute MinAge.
    const young = new ImageGc({ cri, log, policy: { highThresholdPercent: 0, lowThresholdPercent: 0 } });
    const none = await young.sync();
    expect(none.wantedBytes).toBeGreaterThan(0);
    expect(none.removed).toEqual([]);
    expect(await present(UNUSED_IMAGE)).toBe(true);

    // No sandboxImage given: the GC reads containerd's own setting from CRI Status.
    const gc = new ImageGc({
      cri,
      log,
      policy: { highThresholdPercent: 0, lowThresholdPercent: 0, minAgeMs: 0 },
    });
    const r = await gc.sync();
    expect(r.removed).toContain(unusedId);
    expect(r.freedBytes).toBeGreaterThan(0);
    expect(await present(UNUSED_IMAGE)).toBe(false);
    expect(await present(USED_IMAGE)).toBe(true);
    expect(await present(ctrd.pauseImage)).toBe(true);

    // At the default thresholds nothing is wanted on a disk that is not nearly full.
    const calm = new ImageGc({ cri, log, policy: { minAgeMs: 0 } });
    const c = await calm.sync();
    if ((c.usagePercent ?? 0) < 85) expect(c.removed).toEqual([]);

    await cri.runtime.stopPodSandbox(sandboxId);
    await cri.runtime.removePodSandbox(sandboxId);
  });

  it('GarbageCollector.run collects containers and images at start and stops on abort', async () => {
    const uid = 'gc-pod-run';
    const config = sandboxConfig('loop', uid);
    const sandboxId = await cri.runtime.runPodSandbox({ config });
    // The image test may have collected busybox (unused by then): use an image still present.
    for (let a = 0; a < 2; a++)
      await waitExited(await startAttempt(sandboxId, config, 'app', a, ['true'], USED_IMAGE));
    await ctrd.importImage(
      await buildBusyboxImage({ name: UNUSED_IMAGE, outDir: ctrd.root, cmd: ['echo', 'unused'] }),
      UNUSED_IMAGE,
    );
    const collector = new GarbageCollector({
      cri,
      log,
      isPodKnown: (u) => u === uid,
      sourcesReady: () => true,
      imagePolicy: { highThresholdPercent: 0, lowThresholdPercent: 0, minAgeMs: 0 },
      sandboxImage: ctrd.pauseImage,
    });
    const stop = new AbortController();
    const done = collector.run(stop.signal);
    const deadline = Date.now() + 15_000;
    while ((await containerIds(uid)).length > 1 || (await cri.images.imageStatus(UNUSED_IMAGE)).image) {
      if (Date.now() > deadline) throw new Error('garbage collection did not happen');
      await new Promise((r) => setTimeout(r, 100));
    }
    stop.abort();
    await done;
    expect((await containerIds(uid)).length).toBe(1);
    expect((await cri.images.imageStatus(ctrd.pauseImage)).image).not.toBeNull();
    await cri.runtime.stopPodSandbox(sandboxId);
    await cri.runtime.removePodSandbox(sandboxId);
  });
});

describe('node pressure signals with a real runtime', () => {
  it('reads imagefs from the runtime and turns DiskPressure on for a forced threshold', async () => {
    const { observations, failures } = await observeSignals({ rootDir: ctrd.root, cri });
    expect(failures).toEqual({});
    const imagefs = observations['imagefs.available'];
    expect(imagefs?.capacity).toBeGreaterThan(0);
    expect(imagefs?.available).toBeGreaterThan(0);
    expect(observations['imagefs.inodesFree']?.capacity).toBeGreaterThanOrEqual(0);
    expect(observations['memory.available']?.available).toBeGreaterThan(0);
    expect(observations['pid.available']?.available).toBeGreaterThan(0);

    // Nothing is below "everything must be free", so only imagefs trips it.
    const pressure = new NodePressure({
      rootDir: ctrd.root,
      cri,
      log,
      thresholds: parseEvictionThresholds('imagefs.available<100%'),
      transitionPeriodMs: 0,
    });
    expect(await pressure.sync()).toEqual({ MemoryPressure: false, DiskPressure: true, PIDPressure: false });
    expect(pressure.met().map((t) => t.signal)).toEqual(['imagefs.available']);
  });
});
