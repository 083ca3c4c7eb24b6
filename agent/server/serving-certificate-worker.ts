/**
 * Worker-thread entry that makes one self-signed serving certificate and posts it back: the
 * X.509 library then lives only in this short-lived isolate, never in the kubelet's heap.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selfSignedServingCertificate } from './serving-certificate.js';

const request = workerData as Parameters<typeof selfSignedServingCertificate>[0];
parentPort?.postMessage(await selfSignedServingCertificate(request));
