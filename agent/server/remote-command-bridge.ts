import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { CHANNEL, type CriChannelSession } from './cri-stream-client.js';

export const V5_PROTOCOL = 'v5.channel.k8s.io';

const v5Server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => (offered.has(V5_PROTOCOL) ? V5_PROTOCOL : false),
});

/**
 * Speaks WebSocket `v5.channel.k8s.io` (what kubectl 1.30+ offers for exec and attach) to the
 * client and relays to an already open runtime session. v5 differs from v4 only by channel 255,
 * "this channel is closed": for stdin it is passed on as a half-close where the runtime session
 * can do one (SPDY) and otherwise dropped.
 */
export function bridgeV5(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  session: CriChannelSession,
  log: Logger,
): Promise<void> {
  return new Promise((resolve) => {
    v5Server.handleUpgrade(req, socket, head, (client: WebSocket) => {
      client.on('message', (data: Buffer) => {
        if (data.length === 0) return;
        const channel = data[0];
        if (channel === CHANNEL.close) {
          if (data[1] === CHANNEL.stdin && !session.closeStdin())
            log.debug('stdin close not passed on: the runtime session cannot half-close');
          return;
        }
        session.send(channel, data.subarray(1));
      });
      client.on('close', () => {
        session.close();
        resolve();
      });
      client.on('error', () => session.close());
      session.start({
        data: (channel, data) => {
          if (client.readyState === client.OPEN) client.send(Buffer.concat([Buffer.from([channel]), data]));
        },
        close: () => {
          if (client.readyState === client.OPEN) client.close(1000);
          resolve();
        },
      });
    });
  });
}
