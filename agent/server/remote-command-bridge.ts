import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { CHANNEL, type CriChannelSession } from './cri-stream-client.js';

import { V5_PROTOCOL } from './stream-protocols.js';

export { V5_PROTOCOL };

/** Bytes in flight in either direction above which the sending side is paused, and below which resumed. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = HIGH_WATER / 4;

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
    // A handshake that ws refuses closes the socket without calling back.
    socket.once('close', () => {
      session.close();
      resolve();
    });
    v5Server.handleUpgrade(req, socket, head, (client: WebSocket) => {
      let inputInFlight = 0;
      let outputHeld = false;
      client.on('message', (data: Buffer) => {
        if (data.length === 0) return;
        const channel = data[0];
        if (channel === CHANNEL.close) {
          if (data[1] === CHANNEL.stdin && !session.closeStdin())
            log.debug('stdin close not passed on: the runtime session cannot half-close');
          return;
        }
        inputInFlight += data.length;
        if (inputInFlight > HIGH_WATER && !client.isPaused) client.pause();
        session.send(channel, data.subarray(1), () => {
          inputInFlight -= data.length;
          if (client.isPaused && inputInFlight < LOW_WATER) client.resume();
        });
      });
      client.on('close', () => {
        session.close();
        resolve();
      });
      client.on('error', () => session.close());
      session.start({
        data: (channel, data) => {
          if (client.readyState !== client.OPEN) return;
          client.send(Buffer.concat([Buffer.from([channel]), data]), () => {
            if (outputHeld && client.bufferedAmount < LOW_WATER) {
              outputHeld = false;
              session.resumeOutput();
            }
          });
          if (!outputHeld && client.bufferedAmount > HIGH_WATER) {
            outputHeld = true;
            session.pauseOutput();
          }
        },
        close: () => {
          if (client.readyState === client.OPEN) client.close(1000);
          resolve();
        },
      });
    });
  });
}
