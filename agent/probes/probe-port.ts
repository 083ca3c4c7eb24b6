import type { Container as ContainerSpec } from 'kubernetes-types/core/v1.js';
import { ProbeError } from './probe-outcome.js';

/** A probe's port: a number, or the name of one of the container's ports. */
export function probePort(port: number | string | undefined, container: ContainerSpec): number {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string' && /^\d+$/.test(port)) n = Number(port);
  else if (typeof port === 'string') {
    n = container.ports?.find((p) => p.name === port)?.containerPort;
    if (n === undefined) throw new ProbeError(`couldn't find port ${port} in container ${container.name}`);
  }
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new ProbeError(`invalid port number: ${String(port)}`);
  return n;
}

/** `host:port`, with brackets around an IPv6 address. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The probe's own host, else the pod's IP; a pod without an IP yet cannot be probed. */
export function probeHost(host: string | undefined, podIP: string): string {
  const h = host || podIP;
  if (!h) throw new ProbeError('the pod has no IP address yet');
  return h;
}
