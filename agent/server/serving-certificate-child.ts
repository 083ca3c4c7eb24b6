/**
 * Child-process entry that makes one self-signed serving certificate: the request comes as the
 * first IPC message, the certificate goes back as the reply. The X.509 library and everything it
 * allocates then go away with the process, not into the kubelet's heap and malloc arenas (a
 * worker thread left about 11 MiB behind in the kubelet's resident memory).
 */
import { selfSignedServingCertificate } from './serving-certificate.js';

/** What the parent sends: JSON, so the time is in milliseconds. */
export interface CertificateRequest {
  commonName: string;
  names: string[];
  nowMs?: number;
}

process.once('message', (r: CertificateRequest) => {
  const now = r.nowMs === undefined ? undefined : new Date(r.nowMs);
  selfSignedServingCertificate({ commonName: r.commonName, names: r.names, now }).then(
    (made) => process.send?.(made, () => process.exit(0)),
    (e: unknown) => {
      process.stderr.write(`serving certificate: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
});
