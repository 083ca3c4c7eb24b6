import type { Logger } from 'pino';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ApiServer } from './api-server.js';
import type { UserInfo } from './authn/user-info.js';
import type { RequestContext } from './registry/context.js';
import { SYSTEM_PRIORITY_CLASSES } from './registry/priority-admission.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const SYSTEM_USER: UserInfo = { username: 'system:apiserver', groups: ['system:masters'] };

function systemContext(namespace: string): RequestContext {
  return {
    user: SYSTEM_USER,
    namespace,
    dryRun: false,
    fieldValidation: 'Strict',
    warnings: [],
    now: new Date(),
  };
}

/**
 * What must exist after the first start, as kube-apiserver's bootstrap controllers ensure: the system
 * namespaces and the `kubernetes` Service with endpoints pointing at this server.
 */
export async function bootstrapCluster(
  api: ApiServer,
  opts: { advertiseAddress: string; securePort: number; kubernetesServiceIp: string; log: Logger },
): Promise<void> {
  const namespaces = api.store('', 'v1', 'namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    await ensureCreated(() => namespaces.create({ metadata: { name } }, systemContext('')));
  }
  const services = api.store('', 'v1', 'services');
  await ensureCreated(() =>
    services.create(
      {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: opts.kubernetesServiceIp,
          sessionAffinity: 'None',
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.securePort }],
        },
      },
      systemContext('default'),
    ),
  );
  const endpoints: KubeObject = {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [
      {
        addresses: [{ ip: opts.advertiseAddress }],
        ports: [{ name: 'https', port: opts.securePort, protocol: 'TCP' }],
      },
    ],
  };
  await upsert(api, '', 'v1', 'endpoints', endpoints, (cur) => ({ ...cur, subsets: endpoints.subsets }));
  const slice: KubeObject = {
    metadata: {
      name: 'kubernetes',
      labels: {
        'kubernetes.io/service-name': 'kubernetes',
        'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: 'https', port: opts.securePort, protocol: 'TCP' }],
  };
  await upsert(api, 'discovery.k8s.io', 'v1', 'endpointslices', slice, (cur) => ({
    ...cur,
    endpoints: slice.endpoints,
    ports: slice.ports,
  }));
  const priorityClasses = api.store('scheduling.k8s.io', 'v1', 'priorityclasses');
  for (const pc of SYSTEM_PRIORITY_CLASSES)
    await ensureCreated(() =>
      priorityClasses.create(
        {
          metadata: { name: pc.name },
          value: pc.value,
          description: pc.description,
          preemptionPolicy: 'PreemptLowerPriority',
        },
        systemContext(''),
      ),
    );
  opts.log.info({ namespaces: SYSTEM_NAMESPACES.length }, 'cluster bootstrap objects ensured');
}

async function upsert(
  api: ApiServer,
  group: string,
  version: string,
  plural: string,
  obj: KubeObject,
  merge: (current: KubeObject) => KubeObject,
): Promise<void> {
  const store = api.store(group, version, plural);
  try {
    await store.create(structuredClone(obj), systemContext('default'));
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    await store.update('default', obj.metadata.name ?? '', merge, systemContext('default'));
  }
}

async function ensureCreated(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
  }
}
