import { describe, expect, it } from 'vitest';
import type { ControllerEntry } from '../../../control-plane/controllers/controller-context.js';
import { CONTROLLERS } from '../../../control-plane/controllers/controller-manager.js';
import { selectControllers } from '../../../control-plane/controllers/select-controllers.js';

const entry = (name: string, o: Partial<ControllerEntry> = {}): ControllerEntry => ({
  name,
  start() {},
  ...o,
});
const names = (es: ControllerEntry[]) => es.map((e) => e.name);

describe('--controllers selection', () => {
  const entries = [entry('a'), entry('b', { aliases: ['b-controller'] }), entry('off', { defaultOn: false })];

  it('* enables the default-on entries; -name disables; name enables an off one', () => {
    expect(names(selectControllers(entries, ['*']))).toEqual(['a', 'b']);
    expect(names(selectControllers(entries, []))).toEqual(['a', 'b']);
    expect(names(selectControllers(entries, ['*', '-b-controller']))).toEqual(['a']);
    expect(names(selectControllers(entries, ['*', 'off']))).toEqual(['a', 'b', 'off']);
    expect(names(selectControllers(entries, ['b']))).toEqual(['b']);
  });

  it('rejects unknown names and duplicates', () => {
    expect(() => selectControllers(entries, ['*', '-nope'])).toThrow(/not in the list of known controllers/);
    expect(() => selectControllers([entry('x'), entry('x')], ['*'])).toThrow(/twice/);
  });

  it('orders by requirement and refuses missing requirements and cycles', () => {
    const deps = [entry('late', { requires: ['early'] }), entry('early')];
    expect(names(selectControllers(deps, ['*']))).toEqual(['early', 'late']);
    expect(() => selectControllers(deps, ['*', '-early'])).toThrow(/requires early/);
    const cycle = [entry('x', { requires: ['y'] }), entry('y', { requires: ['x'] })];
    expect(() => selectControllers(cycle, ['*'])).toThrow(/cycle/);
  });

  it('knows the upstream names of the built-in controllers', () => {
    const all = names(selectControllers(CONTROLLERS, ['*']));
    expect(all).toEqual(
      expect.arrayContaining([
        'namespace',
        'serviceaccount',
        'replicaset',
        'deployment',
        'endpoints',
        'endpointslice',
        'garbagecollector',
      ]),
    );
    expect(
      names(selectControllers(CONTROLLERS, ['*', '-endpoint', '-garbage-collector-controller'])),
    ).not.toContain('endpoints');
  });
});
