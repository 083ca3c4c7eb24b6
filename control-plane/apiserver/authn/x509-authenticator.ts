import type { TLSSocket } from 'node:tls';
import { type ApiRequest, connectionOf } from '../http-exchange.js';
import type { Authenticator } from './authenticator.js';
import type { UserInfo } from './user-info.js';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/**
 * Authenticates by TLS client certificate: user name from the subject's CN, groups from its O values.
 * The server requests certificates without requiring them (so token clients still connect), hence
 * only a certificate that verified against the configured client CA (`authorized`) counts.
 */
export class X509Authenticator implements Authenticator {
  /** A connection's certificate cannot change, so it is read once per connection, not per request. */
  private readonly byConnection = new WeakMap<object, UserInfo | undefined>();

  async authenticate(req: ApiRequest): Promise<UserInfo | undefined> {
    // On HTTP/2 req.socket is a per-stream proxy that forwards to the session's TLS socket.
    const connection = connectionOf(req);
    if (this.byConnection.has(connection)) return this.byConnection.get(connection);
    const user = this.fromCertificate(req.socket as Partial<TLSSocket>);
    this.byConnection.set(connection, user);
    return user;
  }

  private fromCertificate(socket: Partial<TLSSocket>): UserInfo | undefined {
    if (socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
    if (socket.authorized !== true) return undefined;
    const cert = socket.getPeerCertificate(false);
    if (!cert?.subject) return undefined;
    // A certificate that names its purposes must name client authentication.
    if (cert.ext_key_usage && !cert.ext_key_usage.includes(CLIENT_AUTH_OID)) return undefined;
    const [username] = values(cert.subject.CN);
    if (!username) return undefined;
    return { username, groups: values(cert.subject.O) };
  }
}

/** Node gives a single-valued attribute as a string and a repeated one as an array. */
function values(attr: string | string[] | undefined): string[] {
  if (attr === undefined) return [];
  return (Array.isArray(attr) ? attr : [attr]).filter((v) => v.length > 0);
}
