import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, type CriError, isCriNotFound, isCriUnknown } from '../../../shim/index.js';
import { buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  startTestRegistry,
  type TestRegistry,
} from '../../support/registry.js';

let ctrd: TestContainerd;
let registry: TestRegistry;
let cri: CriClient;
let image: string;

beforeAll(async () => {
  [ctrd, registry] = await Promise.all([startTestContainerd(), startTestRegistry({ auth: true })]);
  await ctrd.allowPlainHttpRegistry(registry.host);
  const tar = await buildBusyboxImage({ name: 'docker.io/skiff/pushed:v1', outDir: ctrd.root });
  image = await registry.push(tar, 'skiff/busybox', 'v1');
  cri = new CriClient({ endpoint: ctrd.endpoint });
});

afterAll(async () => {
  cri?.close();
  await Promise.all([ctrd?.stop(), registry?.stop()]);
});

async function caught(p: Promise<unknown>): Promise<CriError> {
  try {
    await p;
  } catch (e) {
    return e as CriError;
  }
  throw new Error('expected the call to fail');
}

describe('PullImage from a registry on loopback', () => {
  it('is refused without credentials, with the registry message', async () => {
    const e = await caught(cri.images.pullImage(image));
    expect(isCriUnknown(e)).toBe(true);
    expect(e.runtimeMessage).toMatch(/401 Unauthorized|unauthorized/i);
    expect((await cri.images.imageStatus(image)).image).toBeNull();
  });

  it('pulls with username and password, then the image is present and removable', async () => {
    const ref = await cri.images.pullImage({
      image: { image },
      auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD, serverAddress: registry.host },
    });
    expect(ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    const st = await cri.images.imageStatus(image);
    expect(st.image?.id).toBe(ref);
    expect(st.image?.repoTags).toContain(image);
    await cri.images.removeImage(image);
    expect((await cri.images.imageStatus(image)).image).toBeNull();
    // RemoveImage is idempotent.
    await cri.images.removeImage(image);
  });

  it('pulls with a docker-config style auth field', async () => {
    const auth = Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64');
    const ref = await cri.images.pullImage({ image: { image }, auth: { auth } });
    expect(ref).toMatch(/^sha256:/);
  });

  it('reports a tag the registry does not have as not found', async () => {
    const e = await caught(
      cri.images.pullImage({
        image: { image: `${registry.host}/skiff/busybox:missing` },
        auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD },
      }),
    );
    expect(isCriNotFound(e) || isCriUnknown(e)).toBe(true);
    expect(e.runtimeMessage).toMatch(/not found/);
  });
});
