import type { KindHooks } from './hooks.js';

/** Events expire from storage after an hour, as kube-apiserver's --event-ttl default: etcd drops them by lease. */
export const EVENT_TTL_SECONDS = 3600;

export const eventHooks: KindHooks = {
  storageTtlSeconds: () => EVENT_TTL_SECONDS,
};
