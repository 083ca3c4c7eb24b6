import { describe, expect, it } from 'vitest';
import { fieldPatchMeta, PATCH_METADATA, patchTypeOfKind } from '../../../api/patch/index.js';
import { RESOURCES } from '../../../api/resources.js';

describe('strategic merge patch metadata', () => {
  it('knows every served kind that can be patched', () => {
    const missing = RESOURCES.filter(
      (r) => r.verbs.includes('patch') && !patchTypeOfKind(r.group, r.kind),
    ).map((r) => `${r.group}/${r.kind}`);
    expect(missing).toEqual([]);
  });

  it('names only types it describes', () => {
    const dangling: string[] = [];
    for (const [type, fields] of Object.entries(PATCH_METADATA)) {
      for (const [field, meta] of Object.entries(fields)) {
        if (meta.type && !Object.hasOwn(PATCH_METADATA, meta.type))
          dangling.push(`${type}.${field} -> ${meta.type}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('reaches the containers of every pod-template workload with name as merge key', () => {
    const paths: [string, string[]][] = [
      ['Pod', ['spec']],
      ['Deployment', ['spec', 'template', 'spec']],
      ['ReplicaSet', ['spec', 'template', 'spec']],
      ['DaemonSet', ['spec', 'template', 'spec']],
      ['StatefulSet', ['spec', 'template', 'spec']],
      ['Job', ['spec', 'template', 'spec']],
      ['CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
      ['PodTemplate', ['template', 'spec']],
    ];
    for (const [root, path] of paths) {
      let type: string | undefined = root;
      for (const field of path) type = fieldPatchMeta(type, field).type;
      expect(type, root).toBe('PodSpec');
      expect(fieldPatchMeta(type, 'containers'), root).toMatchObject({ mergeKey: 'name', strategy: 'merge' });
    }
  });

  it('leaves lists kube-apiserver treats as atomic without a strategy', () => {
    expect(fieldPatchMeta('PodSpec', 'tolerations')).toEqual({});
    expect(fieldPatchMeta('NodeSpec', 'taints')).toEqual({});
    expect(fieldPatchMeta('Endpoints', 'subsets')).toEqual({});
    expect(fieldPatchMeta('PodSpec', 'constructor')).toEqual({});
    expect(patchTypeOfKind('example.com', 'Widget')).toBeUndefined();
  });
});
