export {
  type ContainerLogQuery,
  parseContainerLogQuery,
} from './container-logs.js';
export { type CriLogRecord, LogWriter, parseCriLogChunk, parseCriLogLine, tailRecords } from './cri-log.js';
export {
  DEFAULT_KUBELET_PORT,
  type KubeletServer,
  type KubeletServerOptions,
  routeOf,
  startKubeletServer,
} from './kubelet-server.js';
export { type ServingCertificate, selfSignedServingCertificate } from './serving-certificate.js';
