import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTAINER_NAME_LABEL,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
} from '../../../agent/labels.js';
import { LogRotation } from '../../../agent/log-rotation.js';
import { startKubeletServer } from '../../../agent/server/index.js';
import { CriClient, type PodSandboxConfig } from '../../../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';

let ctrd: TestContainerd;
let cri: CriClient;

beforeAll(async () => {
  ctrd = await startTestContainerd();
  await ctrd.importImage(await buildBusyboxImage({ name: BUSYBOX_IMAGE, outDir: ctrd.root }), BUSYBOX_IMAGE);
  cri = new CriClient({ endpoint: ctrd.endpoint });
}, 60_000);

afterAll(async () => {
  cri?.close();
  await ctrd?.stop();
}, 60_000);

describe('container log rotation', () => {
  it('renames a log over the limit aside, has the runtime reopen it, and keeps only the newest files', async () => {
    const uid = `rot-${Date.now()}`;
    const logDir = join(ctrd.root, 'pods', `default_rot_${uid}`);
    await mkdir(logDir, { recursive: true });
    const config: PodSandboxConfig = {
      metadata: { name: 'rot', uid, namespace: 'default', attempt: 0 },
      logDirectory: logDir,
      labels: { 'skiff.test/suite': 'log-rotation' },
      linux: {
        cgroupParent: `${ctrd.cgroupRoot}/pod${uid}`,
        securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
      },
    };
    const sandbox = await cri.runtime.runPodSandbox({ config });
    // About 20 KB a second, numbered so the live file can be seen to continue.
    const id = await cri.runtime.createContainer({
      podSandboxId: sandbox,
      sandboxConfig: config,
      config: {
        metadata: { name: 'chatty', attempt: 0 },
        image: { image: BUSYBOX_IMAGE },
        command: [
          'sh',
          '-c',
          'i=0; while :; do i=$((i+1)); echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; [ $((i % 200)) = 0 ] && sleep 0.5; done',
        ],
        logPath: 'chatty/0.log',
        labels: {
          [POD_NAME_LABEL]: 'rot',
          [POD_NAMESPACE_LABEL]: 'default',
          [POD_UID_LABEL]: uid,
          [CONTAINER_NAME_LABEL]: 'chatty',
        },
      },
    });
    await cri.runtime.startContainer(id);
    const rotation = new LogRotation({
      cri,
      log: pino({ level: 'silent' }),
      maxSizeBytes: 8 * 1024,
      maxFiles: 3,
    });
    const live = join(logDir, 'chatty', '0.log');
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await rotation.sync();
    }
    const files = (await readdir(join(logDir, 'chatty'))).sort();
    const rotated = files.filter((f) => f.startsWith('0.log.'));
    // At most maxFiles - 1 rotated files beside the live one, and some rotation happened.
    expect(rotated.length).toBeGreaterThanOrEqual(1);
    expect(rotated.length).toBeLessThanOrEqual(2);
    expect(files).toContain('0.log');
    // The runtime writes to the reopened file: it grows, and its lines continue the numbering.
    const before = (await stat(live)).size;
    await new Promise((r) => setTimeout(r, 800));
    expect((await stat(live)).size).toBeGreaterThan(before);
    const lastRotated = await readFile(join(logDir, 'chatty', rotated[rotated.length - 1] ?? ''), 'utf8');
    const liveText = await readFile(live, 'utf8');
    const lastNumber = (text: string, which: 'first' | 'last') => {
      const ns = [...text.matchAll(/line (\d+) /g)].map((m) => Number(m[1]));
      return which === 'first' ? ns[0] : ns[ns.length - 1];
    };
    expect(lastNumber(liveText, 'first')).toBeGreaterThan(lastNumber(lastRotated, 'last') ?? 0);

    // The kubelet API serves the log across the rotated files and the live one, in order.
    const kserver = await startKubeletServer({
      cri,
      log: pino({ level: 'silent' }),
      pods: () => [],
      nodeName: 'rot-node',
      address: '127.0.0.1',
      port: 0,
    });
    try {
      const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
      const res = await request(`https://127.0.0.1:${kserver.port}/containerLogs/default/rot/chatty`, {
        dispatcher,
      });
      const text = await res.body.text();
      await dispatcher.close();
      expect(res.statusCode).toBe(200);
      const numbers = [...text.matchAll(/line (\d+) /g)].map((m) => Number(m[1]));
      const oldest = await readFile(join(logDir, 'chatty', rotated[0] ?? ''), 'utf8');
      expect(numbers[0]).toBe(lastNumber(oldest, 'first'));
      expect(numbers.length).toBeGreaterThan([...liveText.matchAll(/line (\d+) /g)].length);
      for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe((numbers[i - 1] ?? 0) + 1);
    } finally {
      await kserver.close();
    }
    await cri.runtime.stopPodSandbox(sandbox);
    await cri.runtime.removePodSandbox(sandbox);
  }, 60_000);
});
