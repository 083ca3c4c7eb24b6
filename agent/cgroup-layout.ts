import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podQosClass } from './qos.js';

export type CgroupDriver = 'cgroupfs' | 'systemd';

/** Where the node's pods get their cgroups, by driver (`--cgroup-driver`), as upstream lays them out. */
export interface CgroupLayout {
  readonly driver: CgroupDriver;
  /** The sandbox's CRI cgroup_parent: a path (cgroupfs) or a slice name (systemd). */
  podParent(pod: Pod, uid: string): string;
  /** Removes what the runtime leaves of a gone pod's cgroup (its QoS class may be unknown by then). */
  removePod(uid: string): Promise<void>;
}

const TIERS = ['Guaranteed', 'Burstable', 'BestEffort'] as const;
type Tier = (typeof TIERS)[number];

const tierOf = (pod: Pod): Tier => podQosClass(pod.spec);

/**
 * cgroupfs: `<root>/pod<uid>` for Guaranteed pods, `<root>/burstable/pod<uid>` and
 * `<root>/besteffort/pod<uid>` for the others. containerd creates the directories and leaves them
 * behind, so they are removed here from every mounted hierarchy.
 */
export function cgroupfsLayout(root: string, sysfs = '/sys/fs/cgroup'): CgroupLayout {
  const path = (tier: Tier, uid: string) =>
    `${root}${tier === 'Guaranteed' ? '' : `/${tier.toLowerCase()}`}/pod${uid}`;
  return {
    driver: 'cgroupfs',
    podParent: (pod, uid) => path(tierOf(pod), uid),
    async removePod(uid) {
      const rels = TIERS.map((t) => path(t, uid));
      // cgroup v1 mounts one hierarchy per controller; v2 one unified tree (no subdirectories).
      const hierarchies = (await readdir(sysfs, { withFileTypes: true }).catch(() => []))
        .filter((e) => e.isDirectory())
        .map((e) => join(sysfs, e.name));
      for (const base of [sysfs, ...hierarchies]) for (const rel of rels) await removeTree(join(base, rel));
    },
  };
}

/** A name usable inside a systemd slice name: `-` nests slices, so it (and `.`) become `_`. */
export const sliceEscape = (s: string): string => s.replace(/[-.]/g, '_');

/**
 * systemd: slices as upstream's systemd cgroup manager names them, under the node's root slice:
 * `<root>-pod<uid>.slice` for Guaranteed pods, `<root>-burstable-pod<uid>.slice` and
 * `<root>-besteffort-pod<uid>.slice` for the others (dashes of the uid become underscores).
 * systemd creates the parent slices itself; a gone pod's slice is stopped with systemctl.
 */
export function systemdLayout(
  rootSlice: string,
  run: (args: string[]) => Promise<void> = systemctl,
): CgroupLayout {
  const prefix = rootSlice.replace(/\.slice$/, '');
  if (!/^[A-Za-z0-9_:]+(-[A-Za-z0-9_:]+)*$/.test(prefix))
    throw new Error(`cgroup root "${rootSlice}" is not a systemd slice name (such as kubepods.slice)`);
  const slice = (tier: Tier, uid: string) =>
    `${prefix}${tier === 'Guaranteed' ? '' : `-${tier.toLowerCase()}`}-pod${sliceEscape(uid)}.slice`;
  return {
    driver: 'systemd',
    podParent: (pod, uid) => slice(tierOf(pod), uid),
    async removePod(uid) {
      await run(['stop', ...TIERS.map((t) => slice(t, uid))]).catch(() => undefined);
    },
  };
}

/** The node's root slice for the systemd driver when `--cgroup-root` is not given. */
export const defaultRootSlice = (nodeName: string): string => `skiff_${sliceEscape(nodeName)}.slice`;

/** Why the systemd driver cannot work on this host, or undefined when it can. */
export function systemdUnavailable(runDir = '/run/systemd/system'): string | undefined {
  return existsSync(runDir)
    ? undefined
    : `--cgroup-driver=systemd needs systemd as the init system (${runDir} is missing); use --cgroup-driver=cgroupfs`;
}

function systemctl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('systemctl', args, { timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
}

async function removeTree(path: string): Promise<void> {
  let dirs: string[];
  try {
    dirs = (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const d of dirs) await removeTree(join(path, d));
  await rmdir(path).catch(() => undefined);
}
