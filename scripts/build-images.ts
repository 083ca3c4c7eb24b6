import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BUNDLED_BUSYBOX_IMAGE,
  BUNDLED_PAUSE_IMAGE,
  buildBusyboxImage,
  PAUSE_ENTRYPOINT,
} from '../agent/images/busybox-oci.js';

// dist/scripts/build-images.js → dist/images/
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'images');
await mkdir(outDir, { recursive: true });
const images = [
  { name: BUNDLED_PAUSE_IMAGE, entrypoint: PAUSE_ENTRYPOINT, file: 'pause.oci.tar' },
  { name: BUNDLED_BUSYBOX_IMAGE, file: 'busybox.oci.tar' },
];
for (const image of images) {
  const archive = await buildBusyboxImage({ name: image.name, entrypoint: image.entrypoint, outDir });
  await rename(archive, join(outDir, image.file));
  process.stderr.write(`skiff: image ${image.name} -> ${join(outDir, image.file)}\n`);
}
