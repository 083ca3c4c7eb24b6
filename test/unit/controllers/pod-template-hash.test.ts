import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  fnv32a,
  podTemplateHash,
  templatesEqualIgnoringHash,
} from '../../../control-plane/controllers/pod-template-hash.js';

const template = {
  metadata: { labels: { app: 'web', tier: 'front' } },
  spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }] }] },
};

describe('pod-template-hash', () => {
  it('is FNV-1a', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('does not depend on key order and uses the safe alphabet', () => {
    const reordered = {
      spec: { containers: [{ ports: [{ containerPort: 80 }], image: 'nginx', name: 'app' }] },
      metadata: { labels: { tier: 'front', app: 'web' } },
    };
    expect(canonicalJson(reordered)).toBe(canonicalJson(template));
    const h = podTemplateHash(template);
    expect(podTemplateHash(reordered)).toBe(h);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('changes with the template and with the collision count', () => {
    const other = structuredClone(template);
    other.spec.containers[0].image = 'nginx:2';
    expect(podTemplateHash(other)).not.toBe(podTemplateHash(template));
    expect(podTemplateHash(template, 1)).not.toBe(podTemplateHash(template));
    expect(podTemplateHash(template, 0)).toBe(podTemplateHash(template));
  });

  it('compares templates ignoring the hash label', () => {
    const hashed = structuredClone(template) as typeof template & {
      metadata: { labels: Record<string, string> };
    };
    hashed.metadata.labels['pod-template-hash'] = 'abc';
    expect(templatesEqualIgnoringHash(hashed, template)).toBe(true);
    expect(templatesEqualIgnoringHash({ metadata: { labels: { 'pod-template-hash': 'x' } } }, {})).toBe(true);
    expect(templatesEqualIgnoringHash(hashed, { ...template, spec: { containers: [] } })).toBe(false);
  });
});
