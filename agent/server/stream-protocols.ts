/** WebSocket subprotocol of remote commands (exec/attach) kubectl 1.32 asks for first. */
export const V5_PROTOCOL = 'v5.channel.k8s.io';

/** WebSocket subprotocol of port-forward: SPDY/3.1 frames tunnelled in WebSocket messages. */
export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
