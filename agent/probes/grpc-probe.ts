import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { GRPCAction } from 'kubernetes-types/core/v1.js';
import {
  decodeHealthResponse,
  encodeHealthRequest,
  HEALTH_CHECK_METHOD,
  ServingStatus,
} from './grpc-health-codec.js';
import { PROBE_USER_AGENT, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';
import { hostPort, probeHost, probePort } from './probe-port.js';

/** grpc.health.v1.Health/Check on the port, plaintext; SERVING is a success. */
export async function grpcProbe(
  action: GRPCAction,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const addr = hostPort(probeHost(undefined, target.podIP), probePort(action.port, target.container));
  const service = action.service ?? '';
  const within = `${timeoutMs / 1000}s`;
  const deadline = Date.now() + timeoutMs;
  const client = new Client(addr, credentials.createInsecure(), {
    'grpc.primary_user_agent': PROBE_USER_AGENT,
  });
  try {
    const connectError = await new Promise<Error | undefined>((resolve) =>
      client.waitForReady(deadline, resolve),
    );
    if (connectError)
      return {
        result: 'failure',
        output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${within}: ${connectError.message}`,
      };
    const res = await new Promise<{ err: ServiceError | null; value?: number }>((resolve) => {
      client.makeUnaryRequest(
        HEALTH_CHECK_METHOD,
        encodeHealthRequest,
        decodeHealthResponse,
        service,
        new Metadata(),
        { deadline },
        (err, value) => resolve({ err, value }),
      );
    });
    if (res.err) {
      if (res.err.code === status.UNIMPLEMENTED)
        return {
          result: 'failure',
          output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${res.err.details}`,
        };
      if (res.err.code === status.DEADLINE_EXCEEDED)
        return { result: 'failure', output: `timeout: health rpc did not complete within ${within}` };
      return { result: 'failure', output: `error: health rpc probe failed: ${res.err.message}` };
    }
    if (res.value !== ServingStatus.values.SERVING)
      return {
        result: 'failure',
        output: `service unhealthy (responded with ${JSON.stringify(ServingStatus.valuesById[res.value ?? 0] ?? String(res.value))})`,
      };
    return { result: 'success', output: 'service is healthy' };
  } finally {
    client.close();
  }
}
