export {
  type BusyboxImageOptions,
  buildBusyboxImage,
  PAUSE_ENTRYPOINT,
} from '../../agent/images/busybox-oci.js';

export const BUSYBOX_IMAGE = 'docker.io/skiff/busybox:test';
export const PAUSE_IMAGE = 'docker.io/skiff/pause:test';
