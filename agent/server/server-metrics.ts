import { Counter, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter {
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames });
}

/** Requests to the kubelet's HTTPS port by endpoint (healthz, pods, containerLogs, exec...) and code. */
export const requestsTotal = counter(
  'skiff_kubelet_server_requests_total',
  "Requests served by the kubelet's HTTPS port, by endpoint and status code",
  ['endpoint', 'code'],
);

/**
 * Streaming sessions by kind (exec, attach, portForward) and how they were carried:
 * `websocket-v5` (translated), `spdy-tunnel` (unwrapped WebSocket tunnel), `replay` (piped as is).
 */
export const streamsTotal = counter(
  'skiff_kubelet_server_streams_total',
  'Streaming sessions relayed to the container runtime, by kind and protocol',
  ['kind', 'protocol'],
);
