import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ServiceHealthServer, serviceHealthOf } from '../../../proxy/service-health.js';
import { freePort } from '../../support/ports.js';
import { NODE, sampleState } from './state.js';

describe('serviceHealthOf', () => {
  it('counts local endpoints of externalTrafficPolicy Local services by health port', () => {
    expect(serviceHealthOf(sampleState(), NODE.nodeName)).toEqual(
      new Map([[32000, { namespace: 'default', name: 'lb', localEndpoints: 1 }]]),
    );
    expect(serviceHealthOf(sampleState(), 'node-c').get(32000)?.localEndpoints).toBe(0);
  });
});

describe('ServiceHealthServer', () => {
  it('answers 200 with local endpoints, 503 without, and closes ports no longer wanted', async () => {
    const port = await freePort();
    const server = new ServiceHealthServer(pino({ level: 'silent' }), '127.0.0.1');
    try {
      await server.update(new Map([[port, { namespace: 'default', name: 'lb', localEndpoints: 2 }]]));
      const ok = await fetch(`http://127.0.0.1:${port}/`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        service: { namespace: 'default', name: 'lb' },
        localEndpoints: 2,
        serviceProxyHealthy: true,
      });
      await server.update(new Map([[port, { namespace: 'default', name: 'lb', localEndpoints: 0 }]]));
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(503);
      await server.update(new Map());
      expect(server.ports()).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});
