const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ECONNRESET: 'read: connection reset by peer',
  ETIMEDOUT: 'i/o timeout',
};

/** A socket error worded as upstream's probes word it: `dial tcp 10.0.0.5:80: connect: connection refused`. */
export function dialError(addr: string, e: NodeJS.ErrnoException): string {
  return `dial tcp ${addr}: ${(e.code && CONNECT_ERRORS[e.code]) ?? e.message}`;
}
