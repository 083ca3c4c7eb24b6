export * from './compactor.js';
export * from './embedded-etcd.js';
export * from './etcd-store.js';
export * from './store.js';
export * from './watch-cache.js';
