import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import { microTime } from '../client/micro-time.js';
import type { ApiClient } from '../client/rest-client.js';
import { LEASES, NODES } from './resources.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_RENEW_MS = 10_000;

/** The node's heartbeat: Lease kube-node-lease/<node>, owned by the Node, renewed by `renew()`. */
export class NodeLease {
  private ownerUid: string | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly nodeName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async renew(): Promise<Lease> {
    const renewTime = microTime(this.now());
    let lease: Lease | undefined;
    try {
      lease = await this.api.get<Lease>(LEASES, this.nodeName, { namespace: NODE_LEASE_NAMESPACE });
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
    const ownerReferences = await this.ownerReferences();
    const spec = {
      ...lease?.spec,
      holderIdentity: this.nodeName,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      renewTime,
    };
    if (!lease) {
      return this.api.create<Lease>(LEASES, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.nodeName, namespace: NODE_LEASE_NAMESPACE, ownerReferences },
        spec: { ...spec, acquireTime: renewTime },
      });
    }
    const metadata = { ...lease.metadata };
    if (ownerReferences && !metadata.ownerReferences?.length) metadata.ownerReferences = ownerReferences;
    return this.api.update<Lease>(LEASES, { ...lease, metadata, spec });
  }

  private async ownerReferences() {
    if (!this.ownerUid) {
      try {
        const node = await this.api.get<Node>(NODES, this.nodeName);
        this.ownerUid = node.metadata?.uid;
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
    }
    if (!this.ownerUid) return undefined;
    return [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.ownerUid }];
  }
}
