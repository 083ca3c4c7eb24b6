import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import { applyDefaults } from '../../../api/defaults/index.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  gone,
  invalid,
  isStatusError,
  notFound,
  type QualifiedResource,
  StatusError,
  serviceUnavailable,
} from '../../../api/errors.js';
import { apiVersionOf, type KubeObject } from '../../../api/object.js';
import { type ResourceDef, withTypeMeta } from '../../../api/resources.js';
import { validateCreate, validateUpdate } from '../../../api/validation/index.js';
import type {
  ListOptions,
  ListResult,
  Preconditions,
  Store,
  StoreWatch,
  WatchOptions,
} from '../../storage/store.js';
import { isStorageError } from '../../storage/store.js';
import type { RequestContext } from './context.js';
import type { KindHooks } from './hooks.js';
import type { StorageConversion } from './storage-conversion.js';
import { enforceKnownFields } from './unknown-fields.js';

const GENERATE_NAME_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The generic registry of one resource (upstream's genericregistry.Store): keys, create, update,
 * status, delete with grace and finalizers, on top of the storage contract.
 */
export class ResourceStore {
  readonly qr: QualifiedResource;
  readonly prefix: string;
  private readonly hasStatus: boolean;
  private readonly gvk: { group: string; version: string; kind: string };

  constructor(
    readonly def: ResourceDef,
    private readonly store: Store,
    private readonly hooks: KindHooks = {},
    private readonly conversion?: StorageConversion,
  ) {
    this.qr = { group: def.group, resource: def.plural };
    this.prefix = conversion?.prefix ?? `/registry/${def.group || 'core'}/${def.plural}/`;
    this.hasStatus = def.subresources.includes('status');
    this.gvk = { group: def.group, version: def.version, kind: def.kind };
  }

  keyFor(namespace: string, name: string): string {
    return this.def.namespaced ? `${this.prefix}${namespace}/${name}` : `${this.prefix}${name}`;
  }

  listPrefix(namespace: string): string {
    return this.def.namespaced && namespace ? `${this.prefix}${namespace}/` : this.prefix;
  }

  async get(namespace: string, name: string, resourceVersion?: string): Promise<KubeObject> {
    try {
      return this.fromStorage(await this.store.get(this.keyFor(namespace, name), { resourceVersion }));
    } catch (e) {
      throw this.translate(e, name);
    }
  }

  async list(namespace: string, options: ListOptions): Promise<ListResult> {
    try {
      const result = await this.store.list(this.listPrefix(namespace), options);
      result.items = result.items.map((o) => this.fromStorage(o));
      return result;
    } catch (e) {
      throw this.translate(e, '');
    }
  }

  /** Watch events carry stored objects: serve them through `fromStorage`. */
  watch(namespace: string, name: string, options: WatchOptions): StoreWatch {
    const target = name ? this.keyFor(namespace, name) : this.listPrefix(namespace);
    return this.store.watch(target, options);
  }

  async create(input: KubeObject, ctx: RequestContext): Promise<KubeObject> {
    const obj = this.normalizeIncoming(input, ctx);
    const meta = obj.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (this.def.namespaced) {
      if (meta.namespace && meta.namespace !== ctx.namespace) {
        throw badRequest(
          `the namespace of the provided object does not match the namespace sent on the request`,
        );
      }
      meta.namespace = ctx.namespace;
    } else {
      delete meta.namespace;
    }
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = generateName(meta.generateName ?? '');
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTime(ctx.now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (this.hasStatus) meta.generation = 1;
    else delete meta.generation;
    this.hooks.prepareForCreate?.(obj, ctx);
    applyDefaults(this.gvk, obj);
    this.validate(validateCreate(this.gvk, obj), obj);

    if (ctx.dryRun) return obj;
    await this.hooks.beforeCreate?.(obj, ctx);
    const ttl = this.hooks.storageTtlSeconds?.();
    for (let attempt = 1; ; attempt++) {
      try {
        const key = this.keyFor(ctx.namespace, meta.name ?? '');
        const stored = await this.store.create(
          key,
          this.toStorage(obj),
          ttl ? { leaseSeconds: ttl } : undefined,
        );
        return this.fromStorage(stored);
      } catch (e) {
        const err = this.translate(e, meta.name ?? '');
        // As upstream (RetryGenerateName): a generated name that is taken is drawn again.
        if (generated && attempt < GENERATE_NAME_ATTEMPTS && isStatusError(err, 'AlreadyExists')) {
          meta.name = generateName(meta.generateName ?? '');
          continue;
        }
        await this.hooks.createFailed?.(obj);
        throw err;
      }
    }
  }

  /**
   * Replaces the object (PUT) or a subresource's part of it. `compute` receives the current object
   * and returns the desired one; it runs again on every storage retry, so patches apply to fresh state.
   */
  async update(
    namespace: string,
    name: string,
    compute: (current: KubeObject) => KubeObject,
    ctx: RequestContext,
    options: { subresource?: string; preconditions?: Preconditions } = {},
  ): Promise<KubeObject> {
    const key = this.keyFor(namespace, name);
    let old: KubeObject | undefined;
    let next: KubeObject | undefined;
    const updateFn = async (stored: KubeObject): Promise<KubeObject> => {
      const current = this.fromStorage(stored);
      old = current;
      const desired = this.normalizeIncoming(compute(structuredClone(current)), ctx);
      next = this.prepareUpdate(desired, current, ctx, options.subresource);
      if (!ctx.dryRun && !isDeepStrictEqual(stripVolatile(next), stripVolatile(current))) {
        await this.hooks.beforeUpdate?.(next, current, ctx);
      }
      return this.toStorage(next);
    };
    try {
      if (ctx.dryRun) {
        const current = await this.store.get(key);
        checkPreconditions(current, options.preconditions, this.qr, name);
        return this.fromStorage(await updateFn(current));
      }
      const stored = await this.store.guaranteedUpdate(key, updateFn, {
        preconditions: options.preconditions,
      });
      const served = this.fromStorage(stored);
      if (shouldDeleteNow(served) && !this.hooks.finalizationPending?.(served)) {
        return await this.deleteFinal(namespace, name, served);
      }
      return served;
    } catch (e) {
      if (next && old) await this.hooks.updateFailed?.(next, old);
      throw this.translate(e, name);
    }
  }

  async delete(
    namespace: string,
    name: string,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<KubeObject> {
    const key = this.keyFor(namespace, name);
    const preconditions: Preconditions = {
      uid: options.preconditions?.uid,
      resourceVersion: options.preconditions?.resourceVersion,
    };
    try {
      const current = this.fromStorage(await this.store.get(key));
      checkPreconditions(current, preconditions, this.qr, name);
      const grace = this.hooks.gracePeriodSeconds?.(current, options) ?? 0;
      const finalizers = new Set(current.metadata.finalizers ?? []);
      const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
      if (policy === 'Foreground') finalizers.add('foregroundDeletion');
      if (policy === 'Orphan') finalizers.add('orphan');
      const pending = this.hooks.finalizationPending?.(current) ?? false;
      const needsUpdate = grace > 0 || finalizers.size > 0 || pending;
      if (!needsUpdate) {
        if (ctx.dryRun) return current;
        return await this.deleteFinal(namespace, name, current, current.metadata.resourceVersion);
      }
      const updated = await this.update(
        namespace,
        name,
        (obj) => {
          const meta = obj.metadata;
          const existingGrace = meta.deletionGracePeriodSeconds;
          if (!meta.deletionTimestamp) {
            meta.deletionTimestamp = formatTime(new Date(ctx.now.getTime() + grace * 1000));
            meta.deletionGracePeriodSeconds = grace;
            this.hooks.onDeletionStart?.(obj, ctx);
          } else if (existingGrace === undefined || grace < existingGrace) {
            meta.deletionGracePeriodSeconds = grace;
            meta.deletionTimestamp = formatTime(new Date(ctx.now.getTime() + grace * 1000));
          }
          meta.finalizers = [...new Set([...(meta.finalizers ?? []), ...finalizers])];
          if (meta.finalizers.length === 0) delete meta.finalizers;
          return obj;
        },
        ctx,
        { preconditions, subresource: '__delete' },
      );
      return updated;
    } catch (e) {
      throw this.translate(e, name);
    }
  }

  private async deleteFinal(
    namespace: string,
    name: string,
    current: KubeObject,
    resourceVersion?: string,
  ): Promise<KubeObject> {
    const removed = await this.store.delete(this.keyFor(namespace, name), {
      preconditions: { uid: current.metadata.uid, resourceVersion },
    });
    const served = this.fromStorage(removed);
    await this.hooks.afterDelete?.(served);
    return served;
  }

  private prepareUpdate(
    desired: KubeObject,
    current: KubeObject,
    ctx: RequestContext,
    subresource: string | undefined,
  ): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      // The status endpoint changes status only (metadata is kept as stored).
      next = structuredClone(current);
      if (desired.status === undefined) delete next.status;
      else next.status = desired.status;
    } else {
      next = desired;
      // Only the main endpoint ignores status; internal writes (binding, deletion) set both.
      if (this.hasStatus && subresource === undefined) {
        if (current.status === undefined) delete next.status;
        else next.status = structuredClone(current.status);
      }
    }
    const meta = next.metadata;
    const old = current.metadata;
    if (meta.name !== undefined && meta.name !== old.name) {
      throw badRequest(
        `the name of the object (${meta.name}) does not match the name on the URL (${old.name})`,
      );
    }
    if (this.def.namespaced && meta.namespace && meta.namespace !== old.namespace) {
      throw badRequest('the namespace of the object does not match the namespace on the URL');
    }
    meta.name = old.name;
    if (this.def.namespaced) meta.namespace = old.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (subresource !== '__delete') {
      // deletionTimestamp can only be set through DELETE, and never unset.
      if (old.deletionTimestamp) {
        meta.deletionTimestamp = old.deletionTimestamp;
        meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
        const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw forbidden(
            `${this.def.kind} "${old.name}" is being deleted: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          );
        }
      } else {
        delete meta.deletionTimestamp;
        delete meta.deletionGracePeriodSeconds;
      }
    }
    delete meta.resourceVersion;
    if (this.hasStatus) {
      meta.generation = old.generation ?? 1;
      if (subresource !== 'status' && specChanged(next, current)) {
        meta.generation += 1;
      }
    }
    if (subresource === undefined) this.hooks.prepareForUpdate?.(next, current, ctx);
    applyDefaults(this.gvk, next);
    this.validate(validateUpdate(this.gvk, next, current), next);
    return next;
  }

  /** Checks apiVersion/kind, fills them in, enforces field validation. */
  private normalizeIncoming(input: KubeObject, ctx: RequestContext): KubeObject {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw badRequest('the body of the request must be a JSON object');
    }
    const expectedApiVersion = apiVersionOf(this.def.group, this.def.version);
    if (input.apiVersion !== undefined && input.apiVersion !== expectedApiVersion) {
      throw badRequest(
        `the API version in the data (${String(input.apiVersion)}) does not match the expected API version (${expectedApiVersion})`,
      );
    }
    if (input.kind !== undefined && input.kind !== this.def.kind) {
      throw badRequest(
        `the kind in the data (${String(input.kind)}) does not match the expected kind (${this.def.kind})`,
      );
    }
    if (input.metadata !== undefined && (input.metadata === null || typeof input.metadata !== 'object')) {
      throw badRequest('metadata must be an object');
    }
    const obj: KubeObject = {
      ...input,
      apiVersion: expectedApiVersion,
      kind: this.def.kind,
      metadata: input.metadata ?? {},
    };
    enforceKnownFields(obj, this.def.definition, ctx);
    return obj;
  }

  private validate(errors: ReturnType<typeof validateCreate>, obj: KubeObject): void {
    if (errors.length > 0) throw invalid(this.def.group, this.def.kind, obj.metadata.name ?? '', errors);
  }

  /** A stored object as this resource serves it (converted when it lives in another resource's storage). */
  fromStorage(obj: KubeObject): KubeObject {
    return this.conversion ? this.conversion.fromStorage(obj) : withTypeMeta(this.def, obj);
  }

  private toStorage(obj: KubeObject): KubeObject {
    return this.conversion ? this.conversion.toStorage(obj) : obj;
  }

  /** Storage errors to API errors with this resource's names. */
  translate(e: unknown, name: string): unknown {
    if (e instanceof StatusError) return e;
    if (isStorageError(e)) {
      switch (e.code) {
        case 'KeyNotFound':
          return notFound(this.qr, name);
        case 'KeyExists':
          return alreadyExists(this.qr, name);
        case 'Conflict':
          return conflict(
            this.qr,
            name,
            'the object has been modified; please apply your changes to the latest version and try again',
          );
        case 'Expired':
          return gone(`too old resource version: ${e.message}`);
        case 'TooLargeResourceVersion':
          return new StatusError(504, 'Timeout', `Too large resource version: ${e.message}`, {
            retryAfterSeconds: 1,
          });
        case 'Unavailable':
          return serviceUnavailable(`storage is unavailable: ${e.message}`);
      }
    }
    return e;
  }
}

function checkPreconditions(
  current: KubeObject,
  pre: Preconditions | undefined,
  qr: QualifiedResource,
  name: string,
): void {
  if (pre?.uid && current.metadata.uid !== pre.uid) {
    throw conflict(
      qr,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && current.metadata.resourceVersion !== pre.resourceVersion) {
    throw conflict(
      qr,
      name,
      `the object has been modified; please apply your changes to the latest version and try again`,
    );
  }
}

function shouldDeleteNow(obj: KubeObject): boolean {
  const meta = obj.metadata;
  return Boolean(
    meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      (meta.deletionGracePeriodSeconds ?? 0) === 0,
  );
}

function specChanged(next: KubeObject, current: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  return !isDeepStrictEqual(strip(next), strip(current));
}

function stripVolatile(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...meta } = o.metadata;
  return { ...o, metadata: meta };
}

export function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

const GENERATE_NAME_ATTEMPTS = 8;

function generateName(base: string): string {
  const trimmed = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) {
    suffix += GENERATE_NAME_SUFFIX_CHARS[Math.floor(Math.random() * GENERATE_NAME_SUFFIX_CHARS.length)];
  }
  return trimmed + suffix;
}
