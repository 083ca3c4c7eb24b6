import { StatusError } from '../../../api/errors.js';
import type { Store } from '../../storage/store.js';
import { isStorageError } from '../../storage/store.js';

const IP_PREFIX = '/registry/_allocations/serviceips/';
const PORT_PREFIX = '/registry/_allocations/servicenodeports/';
const RANDOM_TRIES = 16;

export class AllocationError extends StatusError {}

export interface Ipv4Range {
  base: number;
  size: number;
}

export function parseCidr(cidr: string): Ipv4Range {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 30) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), size };
}

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function ipToNumber(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

/** The first usable address of a range: the `kubernetes` Service's ClusterIP. */
export function firstServiceIp(cidr: string): string {
  return ipToString(parseCidr(cidr).base + 1);
}

export function parsePortRange(text: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`invalid port range "${text}" (want MIN-MAX)`);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1 || max > 65535 || min > max) throw new Error(`invalid port range "${text}"`);
  return { min, max };
}

/**
 * ClusterIP and NodePort allocation. Each allocation is its own etcd key created with a
 * create-revision-0 transaction, so two services can never hold the same IP or port, across
 * restarts and across several API servers.
 */
export class ServiceAllocator {
  private readonly ipRange: Ipv4Range;
  private readonly portRange: { min: number; max: number };

  constructor(
    private readonly store: Store,
    serviceCidr: string,
    nodePortRange: string,
  ) {
    this.ipRange = parseCidr(serviceCidr);
    this.portRange = parsePortRange(nodePortRange);
  }

  inIpRange(ip: string): boolean {
    const n = ipToNumber(ip);
    return n !== undefined && n > this.ipRange.base && n < this.ipRange.base + this.ipRange.size - 1;
  }

  async allocateIp(owner: string, requested?: string): Promise<string> {
    if (requested) {
      if (!this.inIpRange(requested)) {
        throw allocationInvalid(
          'spec.clusterIPs',
          [requested],
          `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${ipToString(this.ipRange.base)}/${32 - Math.log2(this.ipRange.size)}`,
        );
      }
      if (!(await this.claim(IP_PREFIX + requested, owner))) {
        throw allocationInvalid(
          'spec.clusterIPs',
          [requested],
          `failed to allocate IP ${requested}: provided IP is already allocated`,
        );
      }
      return requested;
    }
    const candidates = this.ipRange.size - 2;
    for (let i = 0; i < RANDOM_TRIES; i++) {
      const ip = ipToString(this.ipRange.base + 1 + Math.floor(Math.random() * candidates));
      if (await this.claim(IP_PREFIX + ip, owner)) return ip;
    }
    const used = new Set((await this.store.list(IP_PREFIX)).items.map((o) => o.metadata.name));
    for (let off = 1; off <= candidates; off++) {
      const ip = ipToString(this.ipRange.base + off);
      if (!used.has(ip) && (await this.claim(IP_PREFIX + ip, owner))) return ip;
    }
    throw new StatusError(
      500,
      'InternalError',
      'Internal error occurred: failed to allocate a serviceIP: range is full',
    );
  }

  async allocatePort(owner: string, requested?: number): Promise<number> {
    const { min, max } = this.portRange;
    if (requested) {
      if (requested < min || requested > max) {
        throw allocationInvalid(
          'spec.ports[].nodePort',
          requested,
          `provided port is not in the valid range. The range of valid ports is ${min}-${max}`,
        );
      }
      if (!(await this.claim(PORT_PREFIX + requested, owner))) {
        throw allocationInvalid('spec.ports[].nodePort', requested, 'provided port is already allocated');
      }
      return requested;
    }
    const span = max - min + 1;
    for (let i = 0; i < RANDOM_TRIES; i++) {
      const port = min + Math.floor(Math.random() * span);
      if (await this.claim(PORT_PREFIX + port, owner)) return port;
    }
    const used = new Set((await this.store.list(PORT_PREFIX)).items.map((o) => o.metadata.name));
    for (let port = min; port <= max; port++) {
      if (!used.has(String(port)) && (await this.claim(PORT_PREFIX + port, owner))) return port;
    }
    throw new StatusError(
      500,
      'InternalError',
      'Internal error occurred: failed to allocate a nodePort: range is full',
    );
  }

  releaseIp(owner: string, ip: string): Promise<void> {
    return this.release(IP_PREFIX + ip, owner);
  }

  releasePort(owner: string, port: number): Promise<void> {
    return this.release(PORT_PREFIX + port, owner);
  }

  private async claim(key: string, owner: string): Promise<boolean> {
    const name = key.slice(key.lastIndexOf('/') + 1);
    try {
      await this.store.create(key, { metadata: { name }, owner });
      return true;
    } catch (e) {
      if (isStorageError(e, 'KeyExists')) return false;
      throw e;
    }
  }

  private async release(key: string, owner: string): Promise<void> {
    try {
      const current = await this.store.get(key);
      if (current.owner !== owner) return;
      await this.store.delete(key, { preconditions: { resourceVersion: current.metadata.resourceVersion } });
    } catch (e) {
      if (isStorageError(e, 'KeyNotFound') || isStorageError(e, 'Conflict')) return;
      throw e;
    }
  }
}

function allocationInvalid(field: string, value: unknown, message: string): StatusError {
  return new StatusError(
    422,
    'Invalid',
    `Service is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${message}`,
    {
      kind: 'Service',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(value)}: ${message}`,
          field,
        },
      ],
    },
  );
}
