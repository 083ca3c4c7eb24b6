import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../errors.js';
import {
  byteLength,
  deepEqual,
  duplicate,
  forbidden,
  immutable,
  invalidValue,
  required,
  tooLong,
} from './field-errors.js';
import { isConfigMapKey } from './name-rules.js';

export const MAX_DATA_SIZE = 1024 * 1024;

function keyErrors(field: string, data: Record<string, string> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalidValue(`${field}[${k}]`, k, m));
  }
  return errs;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = [...keyErrors('data', cm.data), ...keyErrors('binaryData', cm.binaryData)];
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) total += byteLength(k) + byteLength(String(v));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    if (Object.hasOwn(cm.data ?? {}, k)) errs.push(duplicate(`data[${k}]`, k));
    // binaryData travels base64-encoded; its size is the decoded size.
    total += byteLength(k) + Buffer.from(String(v), 'base64').length;
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('[]', MAX_DATA_SIZE));
  return errs;
}

function immutableData(
  next: { immutable?: boolean },
  old: { immutable?: boolean },
  fields: string[],
): FieldError[] {
  if (!old.immutable) return [];
  const errs: FieldError[] = [];
  const n = next as Record<string, unknown>;
  const o = old as Record<string, unknown>;
  for (const f of fields) {
    if (!deepEqual(n[f] ?? {}, o[f] ?? {}))
      errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  if (!next.immutable) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  return errs;
}

export function validateConfigMapUpdate(next: ConfigMap, old: ConfigMap): FieldError[] {
  return immutableData(next, old, ['data', 'binaryData']);
}

const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/service-account-token': [],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

export function validateSecret(secret: Secret): FieldError[] {
  const errs = keyErrors('data', secret.data);
  let total = 0;
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    total += byteLength(k) + Buffer.from(String(v), 'base64').length;
  }
  for (const k of Object.keys(secret.stringData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalidValue(`stringData[${k}]`, k, m));
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  const type = secret.type ?? 'Opaque';
  const data = { ...(secret.data ?? {}), ...(secret.stringData ?? {}) };
  for (const key of SECRET_REQUIRED_KEYS[type] ?? []) {
    if (!Object.hasOwn(data, key)) errs.push(required(`data[${key}]`));
  }
  if (
    type === 'kubernetes.io/service-account-token' &&
    !secret.metadata?.annotations?.['kubernetes.io/service-account.name']
  ) {
    errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(required('data[username]', 'either username or password is required'));
  }
  return errs;
}

export function validateSecretUpdate(next: Secret, old: Secret): FieldError[] {
  return [
    ...immutable('type', next.type ?? 'Opaque', old.type ?? 'Opaque'),
    ...immutableData(next, old, ['data']),
  ];
}
