import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GarbageCollector, ImageGc, ImageGcPolicyError } from '../../../agent/gc/index.js';
import { FakeClock } from '../../../client/clock.js';
import type { Container, CriClient, Image } from '../../../shim/index.js';

const log = pino({ level: 'silent' });
const GiB = 1024 ** 3;

function image(id: string, tags: string[], size = 1000): Image {
  return {
    id,
    repoTags: tags,
    repoDigests: [],
    size: String(size),
    uid: null,
    username: '',
    spec: null,
    pinned: false,
    imageSource: '',
  };
}

function container(id: string, ref: { image?: string; imageRef?: string }): Container {
  return {
    id,
    podSandboxId: 's',
    metadata: { name: 'c', attempt: 0 },
    image: ref.image ? { image: ref.image } : null,
    imageRef: ref.imageRef ?? '',
    state: 'CONTAINER_EXITED',
    createdAt: '0',
    labels: {},
    annotations: {},
    imageId: '',
  };
}

/** A runtime with these images and containers, a 100 GiB image fs with `availableGiB` free. */
function fakeCri(o: { images: Image[]; containers: Container[]; sandboxImage?: string }) {
  const removed: string[] = [];
  const cri = {
    images: {
      listImages: async () => o.images.filter((i) => !removed.includes(i.id)),
      removeImage: async (id: string) => {
        removed.push(id);
      },
      imageFsInfo: async () => ({
        imageFilesystems: [
          { timestamp: '0', fsId: { mountpoint: '/images' }, usedBytes: null, inodesUsed: null },
        ],
        containerFilesystems: [],
      }),
    },
    runtime: {
      listContainers: async () => o.containers,
      status: async () => ({
        status: null,
        info: o.sandboxImage ? { config: JSON.stringify({ sandboxImage: o.sandboxImage }) } : {},
        runtimeHandlers: [],
        features: null,
      }),
    },
  };
  return { cri: cri as unknown as CriClient, removed };
}

const fullDisk = async () => ({ capacityBytes: 100 * GiB, availableBytes: 5 * GiB });

describe('ImageGc', () => {
  it('finds images in use by id or by any spelling of the reference, and spares the sandbox image', async () => {
    const { cri, removed } = fakeCri({
      images: [
        image('sha256:pause', ['registry.k8s.io/pause:3.9']),
        image('sha256:byref', ['docker.io/library/nginx:1']),
        image('sha256:byname', ['docker.io/library/busybox:latest']),
        image('sha256:free', ['docker.io/x/free:1']),
      ],
      containers: [container('a', { imageRef: 'sha256:byref' }), container('b', { image: 'busybox' })],
      sandboxImage: 'registry.k8s.io/pause:3.9',
    });
    const gc = new ImageGc({ cri, log, policy: { minAgeMs: 0 }, fsCapacity: fullDisk });
    const r = await gc.sync();
    expect(r.usagePercent).toBe(95);
    expect(r.wantedBytes).toBe(15 * GiB);
    expect(removed).toEqual(['sha256:free']);
  });

  it('keeps images the kubelet has known for less than MinAge', async () => {
    const clock = new FakeClock();
    const { cri, removed } = fakeCri({
      images: [image('sha256:free', ['docker.io/x/free:1'])],
      containers: [],
      sandboxImage: 'docker.io/x/pause:1',
    });
    const gc = new ImageGc({ cri, log, now: () => clock.now(), fsCapacity: fullDisk });
    await gc.detect();
    clock.advance(119_000);
    expect((await gc.sync()).removed).toEqual([]);
    clock.advance(1000);
    expect((await gc.sync()).removed).toEqual(['sha256:free']);
    expect(removed).toEqual(['sha256:free']);
  });

  it('does nothing at HighThresholdPercent 100 (image GC off)', async () => {
    const { cri, removed } = fakeCri({
      images: [image('sha256:free', [])],
      containers: [],
      sandboxImage: 'p',
    });
    const gc = new ImageGc({
      cri,
      log,
      policy: { highThresholdPercent: 100, minAgeMs: 0 },
      fsCapacity: fullDisk,
    });
    expect(await gc.sync()).toMatchObject({ wantedBytes: 0, removed: [] });
    expect(removed).toEqual([]);
  });

  it('removes nothing when the sandbox image cannot be known', async () => {
    const { cri, removed } = fakeCri({ images: [image('sha256:free', [])], containers: [] });
    const gc = new ImageGc({ cri, log, policy: { minAgeMs: 0 }, fsCapacity: fullDisk });
    expect((await gc.sync()).removed).toEqual([]);
    expect(removed).toEqual([]);
  });

  it('rejects an invalid policy at construction', () => {
    const { cri } = fakeCri({ images: [], containers: [] });
    expect(
      () => new ImageGc({ cri, log, policy: { highThresholdPercent: 70, lowThresholdPercent: 90 } }),
    ).toThrow(ImageGcPolicyError);
  });
});

describe('GarbageCollector', () => {
  it('collects containers every minute and images every 5 minutes, both at start, through failures', async () => {
    const clock = new FakeClock();
    let sandboxLists = 0;
    let fsInfos = 0;
    const cri = {
      runtime: {
        listContainers: async () => [],
        listPodSandbox: async () => {
          sandboxLists++;
          if (sandboxLists === 1) throw new Error('runtime down');
          return [];
        },
        status: async () => ({ status: null, info: {}, runtimeHandlers: [], features: null }),
      },
      images: {
        listImages: async () => [],
        imageFsInfo: async () => {
          fsInfos++;
          // No mountpoint: the run fails at once (no real statfs under the fake clock).
          return { imageFilesystems: [], containerFilesystems: [] };
        },
      },
    } as unknown as CriClient;
    const gc = new GarbageCollector({
      cri,
      log,
      isPodKnown: () => true,
      sourcesReady: () => true,
      sandboxImage: 'p',
      clock,
    });
    const stop = new AbortController();
    const done = gc.run(stop.signal);
    await clock.advanceAsync(0);
    expect([sandboxLists, fsInfos]).toEqual([1, 1]);
    for (let minute = 1; minute <= 5; minute++) await clock.advanceAsync(60_000);
    // Container GC at 0 (failed), 1, 2, 3, 4 and 5 minutes; image GC at 0 and 5.
    expect([sandboxLists, fsInfos]).toEqual([6, 2]);
    stop.abort();
    await done;
  });
});
