import { describe, expect, it } from 'vitest';
import { normalizeEndpoint } from '../../../shim/connection.js';
import { withServerAddressScheme } from '../../../shim/image-service.js';
import { criProtoPath, criServices } from '../../../shim/proto.js';

describe('CRI proto', () => {
  it('is found next to the sources and defines both services', () => {
    expect(criProtoPath()).toMatch(/\/proto\/api\.proto$/);
    const { RuntimeService, ImageService } = criServices();
    expect(Object.keys(RuntimeService.service)).toEqual(
      expect.arrayContaining([
        'Version',
        'RunPodSandbox',
        'CreateContainer',
        'ExecSync',
        'PortForward',
        'ListContainerStats',
      ]),
    );
    expect(RuntimeService.service.Version.path).toBe('/runtime.v1.RuntimeService/Version');
    expect(ImageService.service.PullImage.path).toBe('/runtime.v1.ImageService/PullImage');
  });

  it('encodes env values as strings and keeps upstream field numbers', () => {
    const create = criServices().RuntimeService.service.CreateContainer;
    const wire = create.requestSerialize({
      podSandboxId: 'p',
      config: { metadata: { name: 'c' }, envs: [{ key: 'A', value: 'b c' }] },
    });
    // CreateContainerRequest.config = 2 -> ContainerConfig.envs = 6 -> KeyValue{1: "A", 2: "b c"}
    expect(wire.includes(Buffer.from([0x32, 0x08, 0x0a, 0x01, 0x41, 0x12, 0x03, 0x62, 0x20, 0x63]))).toBe(
      true,
    );
    const back = create.requestDeserialize(wire) as { config: { envs: { key: string; value: string }[] } };
    expect(back.config.envs).toEqual([{ key: 'A', value: 'b c' }]);
  });

  it('normalizes endpoints to unix:// URLs', () => {
    expect(normalizeEndpoint('/run/containerd/containerd.sock')).toBe(
      'unix:///run/containerd/containerd.sock',
    );
    expect(normalizeEndpoint('unix:///x.sock')).toBe('unix:///x.sock');
    expect(() => normalizeEndpoint('tcp://1.2.3.4:1')).toThrow(/only unix sockets/);
  });
});

describe('withServerAddressScheme', () => {
  it('adds a scheme to a bare host:port and leaves the rest alone', () => {
    expect(withServerAddressScheme({ username: 'u', serverAddress: '127.0.0.1:5000' })).toEqual({
      username: 'u',
      serverAddress: 'https://127.0.0.1:5000',
    });
    const full = { serverAddress: 'https://index.docker.io/v1/' };
    expect(withServerAddressScheme(full)).toBe(full);
    expect(withServerAddressScheme({ username: 'u' })).toEqual({ username: 'u' });
    expect(withServerAddressScheme(undefined)).toBeNull();
  });
});
