import type { ResourceDef } from '../../api/resources.js';

interface SubresourceInfo {
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
}

/** What each subresource answers with, as upstream's discovery documents them. */
const SUBRESOURCES: Record<string, (def: ResourceDef) => SubresourceInfo> = {
  status: (d) => ({ kind: d.kind, verbs: ['get', 'patch', 'update'] }),
  scale: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }),
  binding: () => ({ kind: 'Binding', verbs: ['create'] }),
  eviction: () => ({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] }),
  log: () => ({ kind: 'Pod', verbs: ['get'] }),
  exec: () => ({ kind: 'PodExecOptions', verbs: ['create', 'get'] }),
  attach: () => ({ kind: 'PodAttachOptions', verbs: ['create', 'get'] }),
  portforward: () => ({ kind: 'PodPortForwardOptions', verbs: ['create', 'get'] }),
  proxy: (d) => ({ kind: `${d.kind}ProxyOptions`, verbs: ['create', 'delete', 'get', 'patch', 'update'] }),
  finalize: (d) => ({ kind: d.kind, verbs: ['update'] }),
  token: () => ({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] }),
};

/** Create-only review resources served without storage. */
export const REVIEW_RESOURCES: readonly ResourceDef[] = [
  review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews'),
  review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews'),
  review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews'),
];

function review(group: string, kind: string, plural: string): ResourceDef {
  return {
    group,
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced: false,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ['create'],
    definition: `io.k8s.api.${group.split('.')[0]}.v1.${kind}`,
  };
}

export class Discovery {
  private readonly groups: Map<string, Map<string, ResourceDef[]>>;

  constructor(resources: readonly ResourceDef[]) {
    this.groups = new Map();
    for (const r of [...resources, ...REVIEW_RESOURCES]) {
      let versions = this.groups.get(r.group);
      if (!versions) {
        versions = new Map();
        this.groups.set(r.group, versions);
      }
      const list = versions.get(r.version) ?? [];
      list.push(r);
      versions.set(r.version, list);
    }
  }

  apiVersions(serverAddress: string): object {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  apiGroupList(): object {
    const groups = [...this.groups.entries()]
      .filter(([name]) => name !== '')
      .map(([name, versions]) => {
        const vs = [...versions.keys()].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0] };
      });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  apiGroup(group: string): object | undefined {
    const versions = this.groups.get(group);
    if (!versions || group === '') return undefined;
    const vs = [...versions.keys()].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: vs, preferredVersion: vs[0] };
  }

  resourceList(group: string, version: string): object | undefined {
    const defs = this.groups.get(group)?.get(version);
    if (!defs) return undefined;
    const resources: object[] = [];
    for (const d of defs) {
      resources.push({
        name: d.plural,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
        ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
        ...(d.categories.length ? { categories: d.categories } : {}),
      });
      for (const sub of d.subresources) {
        const info = SUBRESOURCES[sub]?.(d);
        if (!info) continue;
        resources.push({
          name: `${d.plural}/${sub}`,
          singularName: '',
          namespaced: d.namespaced,
          ...(info.group !== undefined ? { group: info.group, version: info.version } : {}),
          kind: info.kind,
          verbs: info.verbs,
        });
      }
    }
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    };
  }

  /** apidiscovery.k8s.io APIGroupDiscoveryList for /api (legacy core) or /apis. */
  aggregated(legacy: boolean, apiVersion: 'v2' | 'v2beta1'): object {
    const items: object[] = [];
    for (const [group, versions] of this.groups) {
      if (legacy !== (group === '')) continue;
      items.push({
        metadata: { name: group, creationTimestamp: null },
        versions: [...versions.entries()].map(([version, defs]) => ({
          version,
          freshness: 'Current',
          resources: defs.map((d) => ({
            resource: d.plural,
            responseKind: { group: d.group, version: d.version, kind: d.kind },
            scope: d.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: d.singular,
            verbs: d.verbs,
            ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
            ...(d.categories.length ? { categories: d.categories } : {}),
            ...(d.subresources.length
              ? {
                  subresources: d.subresources
                    .filter((s) => SUBRESOURCES[s])
                    .map((s) => {
                      const info = SUBRESOURCES[s](d);
                      return {
                        subresource: s,
                        responseKind: {
                          group: info.group ?? d.group,
                          version: info.version ?? d.version,
                          kind: info.kind,
                        },
                        verbs: info.verbs,
                      };
                    }),
                }
              : {}),
          })),
        })),
      });
    }
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
      metadata: {},
      items,
    };
  }
}
