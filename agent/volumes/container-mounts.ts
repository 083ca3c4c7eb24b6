import { mkdir, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import type { Container, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { KeyValue, Mount, MountPropagation } from '../../shim/index.js';
import { expandVars } from '../env/expand.js';
import type { VolumePath } from './volume-manager.js';

const PROPAGATION: Record<string, MountPropagation> = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

/** subPathExpr with `$(VAR)` taken from the container's env; every referenced variable must have a value. */
export function expandSubPathExpr(expr: string, env: KeyValue[]): string {
  const values = new Map(env.map((e) => [e.key, e.value]));
  const missing = new Set<string>();
  const out = expandVars(expr, (name) => {
    const v = values.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) throw new Error(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

function checkSubPath(subPath: string): void {
  if (posix.isAbsolute(subPath)) throw new Error(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..'))
    throw new Error(`error SubPath \`${subPath}\` must not contain '..'`);
}

/**
 * The host side of a subPath mount: made as a directory (with the volume's mode) when missing,
 * and refused when symlinks lead it out of the volume.
 */
async function subPathHostPath(volumePath: string, subPath: string): Promise<string> {
  checkSubPath(subPath);
  const path = join(volumePath, subPath);
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const mode = (await stat(volumePath)).mode & 0o7777;
    await mkdir(path, { recursive: true, mode });
  }
  const root = await realpath(volumePath);
  const real = await realpath(path);
  if (real !== root && !real.startsWith(root + sep))
    throw new Error(`subpath "${subPath}" resolves outside volume (${real})`);
  return real;
}

/**
 * The CRI mounts of a container's volumeMounts: read-only as asked (or as the volume type
 * requires), subPath and subPathExpr, mount propagation.
 */
export async function containerVolumeMounts(
  spec: Container,
  volumePath: (name: string) => VolumePath | undefined,
  env: KeyValue[],
): Promise<Mount[]> {
  const out: Mount[] = [];
  for (const m of spec.volumeMounts ?? []) out.push(await oneMount(spec, m, volumePath, env));
  return out;
}

async function oneMount(
  spec: Container,
  m: VolumeMount,
  volumePath: (name: string) => VolumePath | undefined,
  env: KeyValue[],
): Promise<Mount> {
  const vol = volumePath(m.name);
  if (!vol) throw new Error(`cannot find volume "${m.name}" to mount into container "${spec.name}"`);
  let hostPath = vol.hostPath;
  const subPath = m.subPathExpr ? expandSubPathExpr(m.subPathExpr, env) : m.subPath;
  if (subPath) hostPath = await subPathHostPath(vol.hostPath, subPath);
  return {
    containerPath: m.mountPath,
    hostPath,
    readonly: (m.readOnly ?? false) || vol.readOnly,
    propagation: PROPAGATION[m.mountPropagation ?? 'None'] ?? 'PROPAGATION_PRIVATE',
  };
}
