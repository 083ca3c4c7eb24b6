import type { Container, EnvVar, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KeyValue } from '../../shim/index.js';
import { type SourceCache, SourceNotFoundError } from '../volumes/source-cache.js';
import { expandVars } from './expand.js';
import { type PodAddresses, podFieldValue } from './field-ref.js';
import { type Allocatable, containerResourceValue } from './resource-field-ref.js';
import { serviceEnv } from './service-env.js';

export interface EnvContext {
  sources: Pick<SourceCache, 'configMap' | 'secret'>;
  addresses: PodAddresses;
  /** Node allocatable, the default of unset limits in resourceFieldRef. */
  allocatable: () => Promise<Allocatable>;
  /** The Services visible to pods of a namespace (its own and the default namespace's), for service links. */
  services?: (namespace: string) => Promise<Service[]>;
  /** Called with the envFrom keys skipped as invalid variable names (for an Event). */
  onInvalidKeys?: (kind: 'configMap' | 'secret', name: string, keys: string[]) => void;
}

/** Upstream's IsEnvVarName: letters, digits, `_`, `-` and `.`, not starting with a digit. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function isEnvVarName(name: string): boolean {
  return ENV_NAME.test(name);
}

const secretValue = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

/**
 * The environment of `spec` as the kubelet makes it: envFrom sources in order (invalid names
 * skipped), then `env` in order, literal values with `$(VAR)` expanded against what is defined so
 * far (and the service variables), valueFrom resolved, then the service variables of
 * enableServiceLinks and the `kubernetes` Service not already defined. A later definition replaces an earlier one in place. Throws
 * SourceNotFoundError or Error with the kubelet's wording when a required source is missing.
 */
export async function resolveContainerEnv(pod: Pod, spec: Container, ctx: EnvContext): Promise<KeyValue[]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  const services = ctx.services
    ? serviceEnv(await ctx.services(ns), ns, pod.spec?.enableServiceLinks ?? true)
    : new Map<string, string>();
  for (const from of spec.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> = {};
    let kind: 'configMap' | 'secret';
    let name: string;
    if (from.configMapRef) {
      kind = 'configMap';
      name = from.configMapRef.name ?? '';
      const cm = await ctx.sources.configMap(ns, name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new SourceNotFoundError('configmap', name);
      }
      data = cm.data ?? {};
    } else if (from.secretRef) {
      kind = 'secret';
      name = from.secretRef.name ?? '';
      const s = await ctx.sources.secret(ns, name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new SourceNotFoundError('secret', name);
      }
      data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, secretValue(v)]));
    } else continue;
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data)) {
      const key = prefix + k;
      if (!isEnvVarName(key)) invalid.push(key);
      else env.set(key, v);
    }
    if (invalid.length > 0) ctx.onInvalidKeys?.(kind, name, invalid.sort());
  }
  for (const e of spec.env ?? []) {
    const value = await envValue(pod, spec, e, env, services, ns, ctx);
    if (value !== undefined) env.set(e.name, value);
  }
  // Service variables come last and never replace the container's own.
  for (const [k, v] of services) if (!env.has(k)) env.set(k, v);
  return [...env].map(([key, value]) => ({ key, value }));
}

/** One env entry's value; undefined when an optional source is missing (the variable is left out). */
async function envValue(
  pod: Pod,
  spec: Container,
  e: EnvVar,
  defined: Map<string, string>,
  services: Map<string, string>,
  ns: string,
  ctx: EnvContext,
): Promise<string | undefined> {
  if (e.value) return expandVars(e.value, (n) => defined.get(n) ?? services.get(n));
  const from = e.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return podFieldValue(pod, from.fieldRef.fieldPath, ctx.addresses);
  if (from.resourceFieldRef)
    return containerResourceValue(pod, from.resourceFieldRef, spec.name, await ctx.allocatable());
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = await ctx.sources.configMap(ns, name);
    if (!cm) {
      if (optional) return undefined;
      throw new SourceNotFoundError('configmap', name);
    }
    const v = cm.data?.[key];
    if (v === undefined) {
      if (optional) return undefined;
      throw new Error(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
    }
    return v;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const s = await ctx.sources.secret(ns, name);
    if (!s) {
      if (optional) return undefined;
      throw new SourceNotFoundError('secret', name);
    }
    const v = s.data?.[key];
    if (v === undefined) {
      if (optional) return undefined;
      throw new Error(`couldn't find key ${key} in Secret ${ns}/${name}`);
    }
    return secretValue(v);
  }
  return '';
}
