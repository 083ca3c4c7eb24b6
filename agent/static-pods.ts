import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import { applyDefaults } from '../api/defaults/index.js';
import type { KubeObject } from '../api/object.js';
// The Pod rules only: the schema checker of every kind would cost the kubelet ~30 MB of memory.
import { validatePod } from '../api/validation/pod.js';

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** Upstream's file source re-reads the directory every 20 s besides reacting to changes. */
const RESCAN_MS = 20_000;
const SETTLE_MS = 200;

const POD_GVK = { group: '', version: 'v1', kind: 'Pod' };

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

export function isStaticPod(pod: Pod): boolean {
  const source = pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION];
  return source !== undefined && source !== 'api';
}

/**
 * A static pod from one manifest: named `<name>-<node>`, bound to this node, tolerating every
 * NoExecute taint, with defaults applied and a uid that is a hash of the manifest and the
 * node, so the same manifest keeps its pod (and its running containers) across restarts.
 */
export function staticPodFromManifest(text: string, nodeName: string, nowIso: string): Pod {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw new Error(`expected one Pod, found ${docs.length} documents`);
  const doc = docs[0];
  if (!doc) throw new Error('empty manifest');
  if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message ?? 'invalid YAML');
  const pod = doc.toJSON() as Pod;
  if (typeof pod !== 'object' || pod === null || Array.isArray(pod)) throw new Error('not an object');
  if (pod.kind !== 'Pod' || (pod.apiVersion !== 'v1' && pod.apiVersion !== undefined))
    throw new Error(`expected apiVersion v1, kind Pod; got ${pod.apiVersion}/${pod.kind}`);
  const hash = createHash('sha256').update(nodeName).update('\0').update(text).digest('hex').slice(0, 32);
  const meta = pod.metadata ?? {};
  pod.metadata = {
    ...meta,
    name: `${meta.name ?? ''}-${nodeName}`,
    namespace: meta.namespace || 'default',
    uid: hash,
    annotations: {
      ...meta.annotations,
      [CONFIG_SOURCE_ANNOTATION]: 'file',
      [CONFIG_HASH_ANNOTATION]: hash,
      [CONFIG_SEEN_ANNOTATION]: nowIso,
    },
  };
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  const spec = pod.spec ?? { containers: [] };
  pod.spec = spec;
  spec.nodeName = nodeName;
  spec.tolerations = [...(spec.tolerations ?? []), { operator: 'Exists', effect: 'NoExecute' }];
  const obj = pod as Pod & KubeObject;
  applyDefaults(POD_GVK, obj);
  const errors = validatePod(obj);
  if (errors.length > 0) throw new Error(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  if (!meta.name) throw new Error('metadata.name: Required value');
  return pod;
}

export interface StaticPodSourceOptions {
  dir: string;
  nodeName: string;
  log: Logger;
  /** Called with the whole set of static pods each time it changes. */
  onChange: (pods: Pod[]) => void;
  now?: () => number;
}

/**
 * Static pods from `--pod-manifest-path`: one Pod per file (YAML or JSON), dotfiles ignored.
 * A malformed manifest is logged and skipped; the other pods are unaffected.
 */
export class StaticPodSource {
  private watcher: FSWatcher | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private last = '';
  /** Per file: the content last seen and whether it failed, so failures are logged once per change. */
  private readonly seen = new Map<string, { text: string; pod?: Pod }>();

  constructor(private readonly o: StaticPodSourceOptions) {}

  async start(): Promise<void> {
    await this.scan();
    try {
      this.watcher = watch(this.o.dir, () => {
        clearTimeout(this.settle);
        this.settle = setTimeout(() => void this.scan(), SETTLE_MS);
      });
      this.watcher.on('error', () => undefined);
    } catch (e) {
      this.o.log.warn(
        { err: String(e), dir: this.o.dir },
        'cannot watch the pod manifest directory; polling',
      );
    }
    this.rescan = setInterval(() => void this.scan(), RESCAN_MS);
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.rescan);
    clearTimeout(this.settle);
  }

  async scan(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(this.o.dir, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.o.log.warn({ err: String(e), dir: this.o.dir }, 'cannot read the pod manifest directory');
    }
    const pods: Pod[] = [];
    const names_ = new Set(names);
    for (const f of [...this.seen.keys()]) if (!names_.has(f)) this.seen.delete(f);
    for (const name of names) {
      const file = join(this.o.dir, name);
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const prev = this.seen.get(name);
      if (prev && prev.text === text) {
        if (prev.pod) pods.push(prev.pod);
        continue;
      }
      try {
        const nowIso = new Date((this.o.now ?? Date.now)()).toISOString();
        const pod = staticPodFromManifest(text, this.o.nodeName, nowIso);
        this.seen.set(name, { text, pod });
        pods.push(pod);
      } catch (e) {
        this.seen.set(name, { text });
        this.o.log.warn(
          { file, err: e instanceof Error ? e.message : String(e) },
          'static pod manifest skipped',
        );
      }
    }
    // Two manifests naming the same pod: the first file (by name) wins, as upstream keeps one.
    const byName = new Map<string, Pod>();
    for (const p of pods) {
      const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
      if (byName.has(key)) this.o.log.warn({ pod: key }, 'duplicate static pod name; later manifest ignored');
      else byName.set(key, p);
    }
    const unique = [...byName.values()];
    const fingerprint = unique.map((p) => p.metadata?.uid).join(',');
    if (fingerprint === this.last) return;
    this.last = fingerprint;
    this.o.onChange(unique);
  }
}
