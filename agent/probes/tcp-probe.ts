import { connect } from 'node:net';
import type { TCPSocketAction } from 'kubernetes-types/core/v1.js';
import { dialError } from './dial-error.js';
import type { ProbeOutcome, ProbeTarget } from './probe-outcome.js';
import { hostPort, probeHost, probePort } from './probe-port.js';

/** Succeeds when a TCP connection to the port opens within the timeout. */
export async function tcpProbe(
  action: TCPSocketAction,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const host = probeHost(action.host, target.podIP);
  const port = probePort(action.port, target.container);
  const addr = hostPort(host, port);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => done({ result: 'failure', output: `dial tcp ${addr}: i/o timeout` }),
      timeoutMs,
    );
    socket.once('connect', () => done({ result: 'success', output: '' }));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done({ result: 'failure', output: dialError(addr, e) }),
    );
  });
}
