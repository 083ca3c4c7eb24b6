import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ApiClient, EventRecorder, Store } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { NODES } from './resources.js';

type NodeObject = Node & KubeObject;

export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_NODE_MASK = 24;

function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`${text} is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    const b = Number(p);
    if (!/^\d{1,3}$/.test(p) || b > 255) throw new Error(`${text} is not an IPv4 address`);
    n = n * 256 + b;
  }
  return n;
}

function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The /mask subnets of an IPv4 cluster CIDR, by index. */
export class CidrSet {
  readonly base: number;
  readonly size: number;

  constructor(
    cidr: string,
    readonly nodeMask: number,
  ) {
    const [ip, bits] = cidr.split('/');
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`invalid CIDR ${cidr}`);
    if (nodeMask < prefix || nodeMask > 32) throw new Error(`node mask /${nodeMask} does not fit in ${cidr}`);
    const block = 2 ** (32 - prefix);
    this.base = Math.floor(parseIPv4(ip ?? '') / block) * block;
    this.size = 2 ** (nodeMask - prefix);
  }

  cidr(index: number): string {
    return `${formatIPv4(this.base + index * 2 ** (32 - this.nodeMask))}/${this.nodeMask}`;
  }

  /** The index of a subnet of this set, or undefined for one outside it or of another size. */
  indexOf(cidr: string): number | undefined {
    const [ip, bits] = cidr.split('/');
    if (Number(bits) !== this.nodeMask) return undefined;
    let addr: number;
    try {
      addr = parseIPv4(ip ?? '');
    } catch {
      return undefined;
    }
    const offset = addr - this.base;
    const step = 2 ** (32 - this.nodeMask);
    if (offset < 0 || offset % step !== 0 || offset / step >= this.size) return undefined;
    return offset / step;
  }
}

/**
 * Gives each node a podCIDR from the cluster CIDR: the lowest subnet no node holds, never one
 * twice. What is in use is read from the nodes themselves (plus allocations not yet seen in the
 * cache), so a deleted node's subnet is free again and a restart loses nothing.
 */
export class NodeIpamController {
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly d: {
      nodes: Store<NodeObject>;
      api: ApiClient;
      cidrs: CidrSet;
      events: EventRecorder;
      log: Logger;
    },
  ) {}

  async sync(name: string): Promise<void> {
    const node = this.d.nodes.get(name);
    if (!node || node.spec?.podCIDR) {
      this.inFlight.delete(name);
      return;
    }
    const used = new Set<number>();
    for (const n of this.d.nodes.list()) {
      for (const c of [n.spec?.podCIDR, ...(n.spec?.podCIDRs ?? [])]) {
        const i = c ? this.d.cidrs.indexOf(c) : undefined;
        if (i !== undefined) used.add(i);
      }
    }
    for (const [holder, c] of this.inFlight) {
      if (holder === name) continue;
      const i = this.d.cidrs.indexOf(c);
      if (i !== undefined) used.add(i);
    }
    let cidr = this.inFlight.get(name);
    if (!cidr || used.has(this.d.cidrs.indexOf(cidr) ?? -1)) {
      let free = -1;
      for (let i = 0; i < this.d.cidrs.size; i++) {
        if (!used.has(i)) {
          free = i;
          break;
        }
      }
      if (free < 0) {
        this.d.events.event(
          node,
          'Normal',
          'CIDRNotAvailable',
          `Node ${name} status is now: CIDRNotAvailable`,
        );
        throw new Error(`no pod CIDR left for node ${name}`);
      }
      cidr = this.d.cidrs.cidr(free);
      this.inFlight.set(name, cidr);
    }
    const copy = structuredClone(node) as NodeObject;
    copy.spec = { ...(copy.spec ?? {}), podCIDR: cidr, podCIDRs: [cidr] };
    try {
      await this.d.api.update(NODES, copy);
      this.d.log.info({ node: name, podCIDR: cidr }, 'assigned pod CIDR');
    } catch (e) {
      if (isStatusError(e, 'NotFound')) {
        this.inFlight.delete(name);
        return;
      }
      throw e;
    }
  }
}

export function nodeIpamEntry(opts: { clusterCidr?: string; nodeMask?: number } = {}): ControllerEntry {
  return {
    name: 'nodeipam',
    aliases: ['node-ipam-controller'],
    start(ctx) {
      const cidrs = new CidrSet(opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR, opts.nodeMask ?? DEFAULT_NODE_MASK);
      const nodes = ctx.informers.informerFor<NodeObject>(NODES);
      const queue = ctx.newQueue();
      nodes.addEventHandler({
        onAdd: (n) => queue.add(n.metadata.name ?? ''),
        onUpdate: (_o, n) => queue.add(n.metadata.name ?? ''),
        onDelete: (n) => queue.add(n.metadata.name ?? ''),
      });
      // One worker: allocations must not race each other.
      ctx.runWorkers(
        queue,
        new NodeIpamController({ nodes: nodes.store, api: ctx.api, cidrs, events: ctx.events, log: ctx.log }),
        1,
      );
    },
  };
}
