import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

import { SPDY_TUNNEL_PROTOCOL } from './stream-protocols.js';

export { SPDY_TUNNEL_PROTOCOL };

const tunnelServer = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => (offered.has(SPDY_TUNNEL_PROTOCOL) ? SPDY_TUNNEL_PROTOCOL : false),
});

/** Above this many bytes queued towards the client, reading from the runtime pauses. */
const HIGH_WATER = 1 << 20;

/**
 * Unwraps the tunnel: WebSocket messages carry the bytes of a SPDY session, which is what the
 * runtime's plain SPDY `portforward.k8s.io` upgrade speaks too. So the message payloads are
 * written to the runtime's upgraded socket and its bytes sent back as messages, with no SPDY
 * parsing here.
 */
export function tunnelPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  runtime: Duplex,
): Promise<void> {
  return new Promise((resolve) => {
    // A handshake that ws refuses closes the socket without calling back.
    socket.once('close', () => {
      runtime.destroy();
      resolve();
    });
    tunnelServer.handleUpgrade(req, socket, head, (client: WebSocket) => {
      const finish = () => {
        runtime.destroy();
        if (client.readyState === WebSocket.OPEN) client.close(1000);
        resolve();
      };
      client.on('message', (data: Buffer) => {
        if (runtime.destroyed) return;
        if (!runtime.write(data) && !client.isPaused) {
          client.pause();
          runtime.once('drain', () => client.resume());
        }
      });
      client.on('close', finish);
      client.on('error', finish);
      runtime.on('data', (d: Buffer) => {
        if (client.readyState !== WebSocket.OPEN) return;
        client.send(d, () => {
          if (runtime.isPaused() && client.bufferedAmount < HIGH_WATER / 2) runtime.resume();
        });
        if (client.bufferedAmount > HIGH_WATER) runtime.pause();
      });
      runtime.on('close', finish);
      runtime.on('error', finish);
    });
  });
}
