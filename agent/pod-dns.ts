import type { Pod, PodDNSConfig } from 'kubernetes-types/core/v1.js';
import type { DNSConfig } from '../shim/index.js';

/** What a resolv.conf holds that the kubelet passes on. */
export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodDnsSettings {
  /** `--cluster-dns`: nameservers of ClusterFirst pods; empty = fall back to Default. */
  clusterDNS: string[];
  /** `--cluster-domain`, e.g. cluster.local. */
  clusterDomain: string;
  /** The host's resolver config (`--resolv-conf`); undefined when that flag is empty. */
  host: ResolvConf | undefined;
}

/** Limits as upstream applies them (nameservers per validation, search paths per the kubelet). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;
const CLUSTER_FIRST_OPTIONS = ['ndots:5'];
/** Kernel limit of a host name; longer pod host names are cut as upstream does. */
const MAX_HOSTNAME = 63;

/** nameserver/search/options of a resolv.conf; the last `search` line wins, as in glibc. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) out.servers.push(fields[0]);
    else if (key === 'search')
      out.searches = fields.filter((f) => f !== '.').map((f) => f.replace(/\.$/, ''));
    else if (key === 'options') out.options = mergeOptions(out.options, fields);
  }
  return out;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Options by name (the part before ':'); a later value of a name replaces the earlier one in place. */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0] ?? o, o);
  return [...byName.values()];
}

type DnsKind = 'cluster' | 'host' | 'none';

function dnsKind(pod: Pod): DnsKind {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'none';
  if (policy === 'ClusterFirstWithHostNet') return 'cluster';
  if (policy === 'ClusterFirst') return pod.spec?.hostNetwork ? 'host' : 'cluster';
  return 'host';
}

function withPodDnsConfig(base: ResolvConf, extra: PodDNSConfig): ResolvConf {
  return {
    servers: unique([...base.servers, ...(extra.nameservers ?? [])]),
    searches: unique([...base.searches, ...(extra.searches ?? [])]),
    options: mergeOptions(
      base.options,
      (extra.options ?? []).map((o) =>
        o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : (o.name ?? ''),
      ),
    ),
  };
}

function withinLimits(c: ResolvConf): ResolvConf {
  const searches: string[] = [];
  let chars = 0;
  for (const s of c.searches.slice(0, MAX_SEARCHES)) {
    chars += s.length + (searches.length > 0 ? 1 : 0);
    if (chars > MAX_SEARCH_CHARS) break;
    searches.push(s);
  }
  return { servers: c.servers.slice(0, MAX_NAMESERVERS), searches, options: c.options };
}

/**
 * The sandbox's resolver config by dnsPolicy, as the upstream kubelet builds it:
 * ClusterFirst (and ClusterFirstWithHostNet) use the cluster DNS with the namespace's search
 * list before the host's and ndots:5; ClusterFirst on the host network, and ClusterFirst
 * without --cluster-dns, fall back to Default (the host's config); None starts empty; the
 * pod's dnsConfig is merged on top in every case.
 */
export function podDnsConfig(pod: Pod, s: PodDnsSettings): DNSConfig {
  const host: ResolvConf = s.host
    ? { servers: [...s.host.servers], searches: [...s.host.searches], options: [...s.host.options] }
    : // No --resolv-conf: the local resolver, and no search (upstream's choice).
      { servers: ['127.0.0.1'], searches: ['.'], options: [] };
  let conf: ResolvConf;
  let kind = dnsKind(pod);
  if (kind === 'cluster' && s.clusterDNS.length === 0) kind = 'host';
  if (kind === 'none') conf = { servers: [], searches: [], options: [] };
  else if (kind === 'cluster') {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = s.clusterDomain;
    const clusterSearch = d ? [`${ns}.svc.${d}`, `svc.${d}`, d] : [];
    conf = {
      servers: [...s.clusterDNS],
      searches: unique([...clusterSearch, ...(s.host?.searches ?? [])]),
      options: [...CLUSTER_FIRST_OPTIONS],
    };
  } else conf = host;
  if (pod.spec?.dnsConfig) conf = withPodDnsConfig(conf, pod.spec.dnsConfig);
  const fit = withinLimits(conf);
  return { servers: fit.servers, searches: fit.searches, options: fit.options };
}

/** True when the pod's DNS falls back to Default because the kubelet has no --cluster-dns. */
export function missingClusterDns(pod: Pod, s: PodDnsSettings): boolean {
  return dnsKind(pod) === 'cluster' && s.clusterDNS.length === 0;
}

/**
 * The pod's host name (spec.hostname or its name, cut to 63 characters without a trailing
 * '-' or '.') and domain (`<subdomain>.<namespace>.svc.<cluster domain>` when it has a
 * subdomain), as upstream's GeneratePodHostNameAndDomain. With setHostnameAsFQDN the kernel
 * host name is the FQDN.
 */
export function podHostnameAndDomain(
  pod: Pod,
  clusterDomain: string,
): { hostname: string; domain: string; kernelHostname: string } {
  const name = pod.spec?.hostname || pod.metadata?.name || '';
  const hostname = name.length > MAX_HOSTNAME ? name.slice(0, MAX_HOSTNAME).replace(/[-.]+$/, '') : name;
  const sub = pod.spec?.subdomain;
  const domain = sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  const kernelHostname = pod.spec?.setHostnameAsFQDN && domain ? `${hostname}.${domain}` : hostname;
  return { hostname, domain, kernelHostname };
}

/**
 * The /etc/hosts upstream's kubelet mounts into the containers of a pod on the pod network:
 * localhost entries, the pod's IPs with its host name (FQDN first when it has a subdomain),
 * then spec.hostAliases. containerd alone copies the node's /etc/hosts instead.
 */
export function podHostsFile(pod: Pod, podIPs: string[], clusterDomain: string): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...podIPs.map((ip) => (domain ? `${ip}\t${hostname}.${domain}\t${hostname}` : `${ip}\t${hostname}`)),
  ];
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length > 0) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}
