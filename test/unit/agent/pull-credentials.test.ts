import type { Secret } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { pullCredentials, registryOf } from '../../../agent/pull-credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerConfig = (auths: Record<string, unknown>): Secret => ({
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
});

describe('registryOf', () => {
  it.each([
    ['busybox', 'docker.io'],
    ['library/busybox:1', 'docker.io'],
    ['docker.io/skiff/busybox:1', 'docker.io'],
    ['127.0.0.1:5000/app:v1', '127.0.0.1:5000'],
    ['localhost/app', 'localhost'],
    ['registry.example.com/team/app@sha256:abc', 'registry.example.com'],
  ])('%s is pulled from %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});

describe('pullCredentials', () => {
  it('matches entries by registry host, decoding auth into user and password', () => {
    const secrets = [
      dockerConfig({
        'https://index.docker.io/v1/': { auth: b64('hub:secret') },
        '127.0.0.1:5000': { username: 'u', password: 'p:with:colons' },
      }),
    ];
    expect(pullCredentials('busybox:1', secrets)).toEqual([
      { username: 'hub', password: 'secret', serverAddress: 'docker.io' },
    ]);
    expect(pullCredentials('127.0.0.1:5000/app', secrets)).toEqual([
      { username: 'u', password: 'p:with:colons', serverAddress: '127.0.0.1:5000' },
    ]);
    expect(pullCredentials('quay.io/x/y', secrets)).toEqual([]);
  });

  it('reads legacy dockercfg secrets and skips malformed or unrelated ones', () => {
    const legacy: Secret = {
      type: 'kubernetes.io/dockercfg',
      data: { '.dockercfg': b64(JSON.stringify({ 'reg.io': { auth: b64('a:b') } })) },
    };
    const broken: Secret = {
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64('{nope') },
    };
    const opaque: Secret = { type: 'Opaque', data: { x: b64('y') } };
    expect(pullCredentials('reg.io/app', [broken, opaque, legacy])).toEqual([
      { username: 'a', password: 'b', serverAddress: 'reg.io' },
    ]);
  });
});
