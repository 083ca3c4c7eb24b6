import type { Container, PodSpec, PodTemplateSpec, Probe, Volume } from 'kubernetes-types/core/v1.js';

/**
 * Upstream's SetDefaults_* for PodSpec and what it contains (pkg/apis/core/v1/defaults.go), plus
 * the service-account admission default (serviceAccountName `default`); priority is set by the
 * server's Priority admission.
 */

const DEFAULT_FILE_MODE = 0o644;

/** `Always` for `:latest` or untagged images, `IfNotPresent` for a fixed tag or a digest. */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'Always';
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ||= '/';
    p.httpGet.scheme ||= 'HTTP';
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.imagePullPolicy ||= defaultPullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const port of c.ports ?? []) {
    port.protocol ||= 'TCP';
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of c.env ?? []) {
    const ref = env.valueFrom?.fieldRef;
    if (ref) ref.apiVersion ||= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const hook of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (hook?.httpGet) {
      hook.httpGet.path ||= '/';
      hook.httpGet.scheme ||= 'HTTP';
    }
  }
  // Requests default to limits for each resource that has only a limit.
  const res = c.resources;
  if (res?.limits && Object.keys(res.limits).length > 0) {
    const requests = { ...(res.requests ?? {}) };
    for (const [name, q] of Object.entries(res.limits)) if (requests[name] === undefined) requests[name] = q;
    res.requests = requests;
  }
}

function defaultVolume(v: Volume): void {
  const sources = v as unknown as Record<string, unknown>;
  const hasSource = Object.keys(sources).some(
    (k) => k !== 'name' && sources[k] !== undefined && sources[k] !== null,
  );
  if (!hasSource) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_FILE_MODE;
    for (const item of v.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_FILE_MODE;
    for (const src of v.projected.sources ?? []) {
      if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= 3600;
      for (const item of src.downwardAPI?.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
    }
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.iscsi) v.iscsi.iscsiInterface ||= 'default';
}

export function defaultPodSpec(spec: PodSpec | undefined, isPod: boolean): void {
  if (!spec) return;
  spec.restartPolicy ||= 'Always';
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  // Upstream's service-account admission names the namespace's `default` account, for pods only.
  if (isPod && !spec.serviceAccountName) spec.serviceAccountName = 'default';
  // The deprecated field mirrors the current one, as upstream's conversion keeps it.
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

export function defaultPodTemplateSpec(t: PodTemplateSpec | undefined): void {
  if (t) defaultPodSpec(t.spec, false);
}
