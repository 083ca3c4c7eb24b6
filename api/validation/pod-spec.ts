import type {
  Container,
  EnvVar,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
} from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../errors.js';
import type { Quantity } from '../quantity.js';
import {
  duplicate,
  forbidden,
  invalidValue,
  nonNegative,
  notFoundValue,
  notSupported,
  positive,
  required,
} from './field-errors.js';
import {
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
} from './name-rules.js';
import { validateAnnotations, validateLabels } from './object-meta.js';
import { readQuantity } from './quantity-field.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['FallbackToLogsOnError', 'File'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

/** Every volume source field; a volume must name exactly one. */
const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

const ENV_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function dnsLabelName(field: string, name: string | undefined): FieldError[] {
  if (!name) return [required(field)];
  return isDns1123Label(name).map((m) => invalidValue(field, name, m));
}

function validateDefaultMode(field: string, mode: number | undefined): FieldError[] {
  if (mode === undefined || (Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) return [];
  return [invalidValue(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

function validateKeyToPaths(
  field: string,
  items: { key: string; path: string; mode?: number }[] | undefined,
) {
  const errs: FieldError[] = [];
  (items ?? []).forEach((item, i) => {
    const p = `${field}[${i}]`;
    if (!item.key) errs.push(required(`${p}.key`));
    errs.push(...localPath(`${p}.path`, item.path));
    errs.push(...validateDefaultMode(`${p}.mode`, item.mode));
  });
  return errs;
}

function localPath(field: string, path: string | undefined): FieldError[] {
  if (!path) return [required(field)];
  if (path.startsWith('/')) return [invalidValue(field, path, 'must be a relative path')];
  if (path.split('/').includes('..')) return [invalidValue(field, path, "must not contain '..'")];
  return [];
}

function validateVolume(v: Volume, field: string): FieldError[] {
  const errs = dnsLabelName(`${field}.name`, v.name);
  const src = v as unknown as Record<string, unknown>;
  const present = VOLUME_SOURCES.filter((s) => src[s] !== undefined && src[s] !== null);
  if (present.length === 0) {
    errs.push(required(field, 'must specify a volume type'));
    return errs;
  }
  for (const extra of present.slice(1)) {
    errs.push(forbidden(`${field}.${extra}`, 'may not specify more than 1 volume type'));
  }
  if (v.hostPath && !v.hostPath.path) errs.push(required(`${field}.hostPath.path`));
  if (v.secret) {
    if (!v.secret.secretName) errs.push(required(`${field}.secret.secretName`));
    errs.push(...validateDefaultMode(`${field}.secret.defaultMode`, v.secret.defaultMode));
    errs.push(...validateKeyToPaths(`${field}.secret.items`, v.secret.items));
  }
  if (v.configMap) {
    if (!v.configMap.name) errs.push(required(`${field}.configMap.name`));
    errs.push(...validateDefaultMode(`${field}.configMap.defaultMode`, v.configMap.defaultMode));
    errs.push(...validateKeyToPaths(`${field}.configMap.items`, v.configMap.items));
  }
  if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) {
    errs.push(required(`${field}.persistentVolumeClaim.claimName`));
  }
  if (v.downwardAPI)
    errs.push(...validateDefaultMode(`${field}.downwardAPI.defaultMode`, v.downwardAPI.defaultMode));
  if (v.projected)
    errs.push(...validateDefaultMode(`${field}.projected.defaultMode`, v.projected.defaultMode));
  if (v.nfs) {
    if (!v.nfs.server) errs.push(required(`${field}.nfs.server`));
    if (!v.nfs.path) errs.push(required(`${field}.nfs.path`));
  }
  if (v.emptyDir?.medium !== undefined && !['', 'Memory', 'HugePages'].includes(v.emptyDir.medium)) {
    errs.push(notSupported(`${field}.emptyDir.medium`, v.emptyDir.medium, ['', 'Memory', 'HugePages']));
  }
  return errs;
}

function validateProbe(p: Probe | undefined, field: string, mustBeOneSuccess: boolean): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => p[h] !== undefined);
  if (handlers.length === 0) errs.push(required(field, 'must specify a handler type'));
  for (const extra of handlers.slice(1))
    errs.push(forbidden(`${field}.${extra}`, 'may not specify more than 1 handler type'));
  errs.push(...nonNegative(`${field}.initialDelaySeconds`, p.initialDelaySeconds));
  errs.push(...nonNegative(`${field}.timeoutSeconds`, p.timeoutSeconds));
  errs.push(...nonNegative(`${field}.periodSeconds`, p.periodSeconds));
  errs.push(...nonNegative(`${field}.successThreshold`, p.successThreshold));
  errs.push(...nonNegative(`${field}.failureThreshold`, p.failureThreshold));
  if (mustBeOneSuccess && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalidValue(`${field}.successThreshold`, p.successThreshold, 'must be 1'));
  }
  if (p.httpGet) {
    errs.push(...validateNamedPort(`${field}.httpGet.port`, p.httpGet.port));
    const scheme = p.httpGet.scheme;
    if (scheme !== undefined && scheme !== 'HTTP' && scheme !== 'HTTPS') {
      errs.push(notSupported(`${field}.httpGet.scheme`, scheme, ['HTTP', 'HTTPS']));
    }
  }
  if (p.tcpSocket) errs.push(...validateNamedPort(`${field}.tcpSocket.port`, p.tcpSocket.port));
  if (p.exec && !(p.exec.command && p.exec.command.length > 0)) errs.push(required(`${field}.exec.command`));
  return errs;
}

/** An int-or-string port: a number in range or an IANA service name. */
export function validateNamedPort(field: string, port: number | string | undefined): FieldError[] {
  if (port === undefined || port === '') return [required(field)];
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalidValue(field, port, m));
  return isValidPortName(port).map((m) => invalidValue(field, port, m));
}

function validateEnv(env: EnvVar[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((e, i) => {
    const p = `${field}[${i}]`;
    if (!e.name) errs.push(required(`${p}.name`));
    else for (const m of isEnvVarName(e.name)) errs.push(invalidValue(`${p}.name`, e.name, m));
    if (!e.valueFrom) return;
    const vf = e.valueFrom;
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter(
      (s) => vf[s] !== undefined,
    );
    if (e.value)
      errs.push(invalidValue(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    if (sources.length === 0) {
      errs.push(
        invalidValue(
          `${p}.valueFrom`,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (sources.length > 1) {
      errs.push(invalidValue(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
    }
    if (vf.fieldRef) {
      const fp = vf.fieldRef.fieldPath;
      if (!fp) errs.push(required(`${p}.valueFrom.fieldRef.fieldPath`));
      else if (!ENV_FIELD_PATHS.includes(fp) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(fp)) {
        errs.push(notSupported(`${p}.valueFrom.fieldRef.fieldPath`, fp, ENV_FIELD_PATHS));
      }
    }
    if (vf.resourceFieldRef && !vf.resourceFieldRef.resource) {
      errs.push(required(`${p}.valueFrom.resourceFieldRef.resource`));
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const r = vf[ref];
      if (!r) continue;
      if (!r.key) errs.push(required(`${p}.valueFrom.${ref}.key`));
      else
        for (const m of isConfigMapKey(r.key)) errs.push(invalidValue(`${p}.valueFrom.${ref}.key`, r.key, m));
      if (!r.name) errs.push(required(`${p}.valueFrom.${ref}.name`));
    }
  });
  return errs;
}

function validateResources(r: ResourceRequirements | undefined, field: string): FieldError[] {
  if (!r) return [];
  const errs: FieldError[] = [];
  const read = (kind: 'limits' | 'requests') => {
    const out = new Map<string, Quantity>();
    for (const [name, raw] of Object.entries(r[kind] ?? {})) {
      const p = `${field}.${kind}[${name}]`;
      for (const m of isQualifiedName(name)) errs.push(invalidValue(p, name, m));
      const q = readQuantity(p, raw, errs);
      if (q) out.set(name, q);
    }
    return out;
  };
  const limits = read('limits');
  const requests = read('requests');
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim !== undefined && req.cmp(lim) > 0) {
      errs.push(
        invalidValue(
          `${field}.requests[${name}]`,
          req.toString(),
          `must be less than or equal to ${name} limit of ${lim.toString()}`,
        ),
      );
    }
  }
  return errs;
}

interface ContainerContext {
  volumes: Set<string>;
  portNames: Set<string>;
}

function validateContainer(c: Container, field: string, ctx: ContainerContext, init: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.image || c.image.trim() === '') errs.push(required(`${field}.image`));
  else if (c.image !== c.image.trim()) {
    errs.push(invalidValue(`${field}.image`, c.image, 'must not have leading or trailing whitespace'));
  }
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  }
  if (
    c.terminationMessagePolicy !== undefined &&
    !TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)
  ) {
    errs.push(
      notSupported(
        `${field}.terminationMessagePolicy`,
        c.terminationMessagePolicy,
        TERMINATION_MESSAGE_POLICIES,
      ),
    );
  }
  (c.ports ?? []).forEach((port, i) => {
    const p = `${field}.ports[${i}]`;
    if (port.name) {
      for (const m of isValidPortName(port.name)) errs.push(invalidValue(`${p}.name`, port.name, m));
      if (ctx.portNames.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      ctx.portNames.add(port.name);
    }
    if (!port.containerPort) errs.push(required(`${p}.containerPort`));
    else
      for (const m of isValidPortNum(port.containerPort))
        errs.push(invalidValue(`${p}.containerPort`, port.containerPort, m));
    if (port.hostPort) {
      for (const m of isValidPortNum(port.hostPort))
        errs.push(invalidValue(`${p}.hostPort`, port.hostPort, m));
    }
    if (!port.protocol) errs.push(required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(port.protocol))
      errs.push(notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
  });
  errs.push(...validateEnv(c.env, `${field}.env`));
  (c.envFrom ?? []).forEach((ef, i) => {
    const p = `${field}.envFrom[${i}]`;
    const n = (ef.configMapRef ? 1 : 0) + (ef.secretRef ? 1 : 0);
    if (n === 0) errs.push(invalidValue(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (n > 1) errs.push(invalidValue(p, '', 'may not have both `configMapRef` and `secretRef`'));
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((vm, i) => {
    const p = `${field}.volumeMounts[${i}]`;
    if (!vm.name) errs.push(required(`${p}.name`));
    else if (!ctx.volumes.has(vm.name)) errs.push(notFoundValue(`${p}.name`, vm.name));
    if (!vm.mountPath) errs.push(required(`${p}.mountPath`));
    else if (mountPaths.has(vm.mountPath))
      errs.push(invalidValue(`${p}.mountPath`, vm.mountPath, 'must be unique'));
    else mountPaths.add(vm.mountPath);
    if (vm.subPath) {
      if (vm.subPath.startsWith('/'))
        errs.push(invalidValue(`${p}.subPath`, vm.subPath, 'must be a relative path'));
      else if (vm.subPath.split('/').includes('..')) {
        errs.push(invalidValue(`${p}.subPath`, vm.subPath, "must not contain '..'"));
      }
    }
  });
  errs.push(...validateResources(c.resources, `${field}.resources`));
  const sidecar = init && c.restartPolicy === 'Always';
  if (init && !sidecar) {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[probe])
        errs.push(
          forbidden(`${field}.${probe}`, 'may not be set for init containers without restartPolicy=Always'),
        );
    }
    if (c.lifecycle)
      errs.push(
        forbidden(`${field}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'),
      );
  } else {
    errs.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, true));
    errs.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, false));
    errs.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, true));
  }
  if (c.restartPolicy !== undefined) {
    if (!init) errs.push(forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always')
      errs.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  return errs;
}

function validateTolerations(tolerations: Toleration[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = `${field}[${i}]`;
    if (t.key) for (const m of isQualifiedName(t.key)) errs.push(invalidValue(`${p}.key`, t.key, m));
    const op = t.operator ?? 'Equal';
    if (!t.key && op !== 'Exists') {
      errs.push(
        invalidValue(
          `${p}.operator`,
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (op === 'Equal') {
      if (t.value)
        for (const m of isValidLabelValue(t.value)) errs.push(invalidValue(`${p}.value`, t.value, m));
    } else if (op === 'Exists') {
      if (t.value)
        errs.push(invalidValue(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(`${p}.operator`, op, ['Equal', 'Exists']));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect))
      errs.push(notSupported(`${p}.effect`, t.effect, TAINT_EFFECTS));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(
        invalidValue(
          `${p}.effect`,
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
  });
  return errs;
}

/** Upstream's ValidatePodSpec, for the rules that matter to a cluster like skiff. */
export function validatePodSpec(spec: PodSpec | undefined, field: string): FieldError[] {
  if (!spec) return [required(field)];
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const p = `${field}.volumes[${i}]`;
    errs.push(...validateVolume(v, p));
    if (v.name) {
      if (volumes.has(v.name)) errs.push(duplicate(`${p}.name`, v.name));
      volumes.add(v.name);
    }
  });
  const ctx: ContainerContext = { volumes, portNames: new Set() };
  const names = new Set<string>();
  const checkName = (c: Container, p: string) => {
    errs.push(...dnsLabelName(`${p}.name`, c.name));
    if (!c.name) return;
    if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    names.add(c.name);
  };
  if (!spec.containers || spec.containers.length === 0) errs.push(required(`${field}.containers`));
  (spec.containers ?? []).forEach((c, i) => {
    const p = `${field}.containers[${i}]`;
    checkName(c, p);
    errs.push(...validateContainer(c, p, ctx, false));
  });
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = `${field}.initContainers[${i}]`;
    checkName(c, p);
    errs.push(...validateContainer(c, p, ctx, true));
  });
  if (!spec.restartPolicy) errs.push(required(`${field}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) {
    errs.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));
  }
  if (!spec.dnsPolicy) errs.push(required(`${field}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy))
    errs.push(notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) {
    errs.push(required(`${field}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  if (spec.serviceAccountName) {
    for (const m of isDns1123Subdomain(spec.serviceAccountName)) {
      errs.push(invalidValue(`${field}.serviceAccountName`, spec.serviceAccountName, m));
    }
  }
  if (spec.nodeName) {
    for (const m of isDns1123Subdomain(spec.nodeName))
      errs.push(invalidValue(`${field}.nodeName`, spec.nodeName, m));
  }
  errs.push(...nonNegative(`${field}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds));
  errs.push(...positive(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds));
  errs.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  if (spec.hostname)
    for (const m of isDns1123Label(spec.hostname))
      errs.push(invalidValue(`${field}.hostname`, spec.hostname, m));
  if (spec.subdomain) {
    for (const m of isDns1123Label(spec.subdomain))
      errs.push(invalidValue(`${field}.subdomain`, spec.subdomain, m));
  }
  if (spec.hostNetwork) {
    const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
    all.forEach((c, ci) => {
      (c.ports ?? []).forEach((port, pi) => {
        if (port.hostPort !== undefined && port.hostPort !== port.containerPort) {
          const list = ci < (spec.containers?.length ?? 0) ? 'containers' : 'initContainers';
          const idx = list === 'containers' ? ci : ci - (spec.containers?.length ?? 0);
          errs.push(
            invalidValue(
              `${field}.${list}[${idx}].ports[${pi}].hostPort`,
              port.hostPort,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      });
    });
  }
  return errs;
}

/** A pod template: its labels and annotations, then its spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, field: string): FieldError[] {
  if (!t) return [required(field)];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(t.metadata?.labels, `${field}.metadata.labels`));
  errs.push(...validateAnnotations(t.metadata?.annotations, `${field}.metadata.annotations`));
  errs.push(...validatePodSpec(t.spec, `${field}.spec`));
  return errs;
}
