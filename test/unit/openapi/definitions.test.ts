import { describe, expect, it } from 'vitest';
import { definitionsPath, loadDefinitions } from '../../../api/openapi/definitions.js';

describe('loadDefinitions', () => {
  it('looks for the built file under <repo>/dist when run from sources', () => {
    expect(definitionsPath()).toMatch(/\/dist\/openapi\/definitions\.json$/);
    expect(definitionsPath()).not.toMatch(/\/dist\/dist\//);
  });

  it('loads the definitions once', () => {
    const defs = loadDefinitions();
    expect(defs['io.k8s.api.core.v1.Pod']).toBeDefined();
    expect(loadDefinitions()).toBe(defs);
  });
});
