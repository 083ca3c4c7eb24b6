import { createHash } from 'node:crypto';
import type { ProxyEndpoint, ServicePortInfo } from './service-port-map.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First `len` base32 characters of sha256(text): short, stable names for kernel objects. */
export function shortHash(text: string, len = 16): string {
  const bytes = createHash('sha256').update(text).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < len) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= len) break;
    value &= (1 << bits) - 1;
  }
  return out;
}

export function endpointId(svc: ServicePortInfo, ep: ProxyEndpoint): string {
  return `${svc.key}:${ep.ip}:${ep.port}`;
}
