import type { Node } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { CycleState, staticHandle } from '../../../../control-plane/scheduler/framework.js';
import { NodeInfo } from '../../../../control-plane/scheduler/node-info.js';
import {
  ImageLocality,
  normalizedImageName,
} from '../../../../control-plane/scheduler/plugins/image-locality.js';
import { makeNode, makePod } from '../fixtures.js';

const MB = 1024 * 1024;

function withImages(name: string, images: [string, number][]): Node {
  const n = makeNode(name);
  return {
    ...n,
    status: { ...n.status, images: images.map(([i, size]) => ({ names: [i], sizeBytes: size })) },
  };
}

const podWith = (...images: string[]) =>
  makePod('p', { containers: images.map((image, i) => ({ name: `c${i}`, image })) });

describe('ImageLocality', () => {
  it('adds :latest to references without tag or digest', () => {
    expect(normalizedImageName('nginx')).toBe('nginx:latest');
    expect(normalizedImageName('registry:5000/app')).toBe('registry:5000/app:latest');
    expect(normalizedImageName('nginx:1.27')).toBe('nginx:1.27');
    expect(normalizedImageName('app@sha256:abc')).toBe('app@sha256:abc');
  });

  it('scores nodes holding big images, scaled by how many nodes hold them', () => {
    const nodes = [
      new NodeInfo(withImages('has', [['big:1', 500 * MB]])),
      new NodeInfo(withImages('none', [])),
      new NodeInfo(withImages('also', [['common:latest', 900 * MB]])),
      new NodeInfo(withImages('too', [['common:latest', 900 * MB]])),
    ];
    const plugin = new ImageLocality(staticHandle(nodes));
    const score = (pod: ReturnType<typeof podWith>, i: number) =>
      plugin.score(pod, nodes[i], new CycleState());
    // 500 MB on 1 of 4 nodes counts 125 MB: 100 * (125 - 23) / (1000 - 23) = 10.
    expect(score(podWith('big:1'), 0)).toBe(10);
    expect(score(podWith('big:1'), 1)).toBe(0);
    // 900 MB on 2 of 4 nodes: 450 MB -> 43.
    expect(score(podWith('common'), 2)).toBe(43);
    // Two containers double the top threshold.
    expect(score(podWith('common', 'other'), 2)).toBe(21);
  });

  it('gives 0 below the 23 MB threshold', () => {
    const nodes = [new NodeInfo(withImages('tiny', [['small:1', 20 * MB]]))];
    expect(new ImageLocality(staticHandle(nodes)).score(podWith('small:1'), nodes[0], new CycleState())).toBe(
      0,
    );
  });
});
