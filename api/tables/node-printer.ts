import type { KubeObject } from '../object.js';
import { list, type Obj, obj, str } from './fields.js';
import { timestampSince } from './human-duration.js';
import { ageColumn, column, nameColumn, type Printer } from './table.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

/** Roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role`, sorted. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === LEGACY_ROLE_LABEL && v) roles.add(v);
  }
  return [...roles].sort();
}

export function nodeStatus(node: KubeObject): string {
  const status: string[] = [];
  const ready = list(obj(node.status).conditions).find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (obj(node.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(status: Obj, type: string): string {
  return str(list(status.addresses).find((a) => a.type === type)?.address) || '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column(
      'Internal-IP',
      'string',
      'List of addresses reachable to the node. Queried from cloud provider, if available.',
      {
        priority: 1,
      },
    ),
    column(
      'External-IP',
      'string',
      'List of addresses reachable to the node. Queried from cloud provider, if available.',
      {
        priority: 1,
      },
    ),
    column(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      {
        priority: 1,
      },
    ),
    column(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      {
        priority: 1,
      },
    ),
    column(
      'Container-Runtime',
      'string',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      {
        priority: 1,
      },
    ),
  ],
  print(node, now) {
    const status = obj(node.status);
    const info = obj(status.nodeInfo);
    const roles = nodeRoles(node.metadata.labels).join(',');
    return {
      cells: [
        node.metadata.name ?? '',
        nodeStatus(node),
        roles || '<none>',
        timestampSince(node.metadata.creationTimestamp, now),
        str(info.kubeletVersion),
        address(status, 'InternalIP'),
        address(status, 'ExternalIP'),
        str(info.osImage) || '<unknown>',
        str(info.kernelVersion) || '<unknown>',
        str(info.containerRuntimeVersion) || '<unknown>',
      ],
    };
  },
};
