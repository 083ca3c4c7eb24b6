import type { Probe } from 'kubernetes-types/core/v1.js';
import type { CriClient } from '../../shim/index.js';
import { execProbe } from './exec-probe.js';
import { grpcProbe } from './grpc-probe.js';
import { httpProbe } from './http-probe.js';
import { ProbeError, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';
import { tcpProbe } from './tcp-probe.js';

/** Runs one probe within `timeoutMs`; rejects with a ProbeError when it could not be run at all. */
export type ProbeRunner = (probe: Probe, target: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome>;

/** The handler for whichever of exec, httpGet, tcpSocket or grpc the probe sets. */
export function createProbeRunner(cri: CriClient): ProbeRunner {
  return async (probe, target, timeoutMs) => {
    if (probe.exec) return execProbe(cri, probe.exec, target, timeoutMs);
    if (probe.httpGet) return httpProbe(probe.httpGet, target, timeoutMs);
    if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, target, timeoutMs);
    if (probe.grpc) return grpcProbe(probe.grpc, target, timeoutMs);
    throw new ProbeError('probe has no handler (exec, httpGet, tcpSocket or grpc)');
  };
}
