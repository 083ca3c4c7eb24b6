import { describe, expect, it } from 'vitest';
import {
  CONFIG_HASH_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  staticPodFromManifest,
} from '../../../agent/static-pods.js';

const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  containers:
  - name: c
    image: busybox:1
`;

describe('staticPodFromManifest', () => {
  it('names the pod after the node, binds it there, tolerates NoExecute and applies defaults', () => {
    const pod = staticPodFromManifest(MANIFEST, 'node-a', '2026-01-01T00:00:00.000Z');
    expect(pod.metadata?.name).toBe('web-node-a');
    expect(pod.metadata?.namespace).toBe('default');
    expect(pod.metadata?.labels).toEqual({ app: 'web' });
    expect(pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION]).toBe('file');
    expect(pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBe(pod.metadata?.uid);
    expect(pod.spec?.nodeName).toBe('node-a');
    expect(pod.spec?.tolerations).toContainEqual({ operator: 'Exists', effect: 'NoExecute' });
    expect(pod.spec?.restartPolicy).toBe('Always');
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.spec?.containers[0]?.terminationMessagePath).toBe('/dev/termination-log');
  });

  it('gives the same manifest on the same node the same uid, and any change a new one', () => {
    const a = staticPodFromManifest(MANIFEST, 'node-a', 'x');
    expect(staticPodFromManifest(MANIFEST, 'node-a', 'y').metadata?.uid).toBe(a.metadata?.uid);
    expect(staticPodFromManifest(MANIFEST, 'node-b', 'x').metadata?.uid).not.toBe(a.metadata?.uid);
    const changed = MANIFEST.replace('busybox:1', 'busybox:2');
    expect(staticPodFromManifest(changed, 'node-a', 'x').metadata?.uid).not.toBe(a.metadata?.uid);
  });

  it('accepts JSON manifests and keeps a given namespace', () => {
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'j', namespace: 'kube-system' },
      spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
    });
    const pod = staticPodFromManifest(json, 'n', 'x');
    expect(pod.metadata?.name).toBe('j-n');
    expect(pod.metadata?.namespace).toBe('kube-system');
  });

  it.each([
    ['invalid YAML', 'kind: Pod\n  bad: [\n'],
    ['another kind', MANIFEST.replace('kind: Pod', 'kind: Service')],
    ['two documents', `${MANIFEST}---\n${MANIFEST}`],
    ['no name', MANIFEST.replace('name: web', 'labels2: {}')],
    ['no containers', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n'],
    ['an invalid container name', MANIFEST.replace('name: c', 'name: Not_Valid')],
  ])('rejects %s with a message', (_what, text) => {
    expect(() => staticPodFromManifest(text, 'n', 'x')).toThrow(/\S/);
  });
});
