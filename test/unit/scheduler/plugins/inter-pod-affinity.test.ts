import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { CycleState, staticHandle } from '../../../../control-plane/scheduler/framework.js';
import type { NodeInfo } from '../../../../control-plane/scheduler/node-info.js';
import {
  ERR_AFFINITY,
  ERR_ANTI_AFFINITY,
  ERR_EXISTING_ANTI_AFFINITY,
  InterPodAffinity,
} from '../../../../control-plane/scheduler/plugins/inter-pod-affinity.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

function pod(
  name: string,
  labels: Record<string, string>,
  spec: Partial<Pod['spec']> = {},
  ns = 'default',
): Pod {
  const p = makePod(name, { spec });
  return { ...p, metadata: { ...p.metadata, labels, namespace: ns } };
}

function node(name: string, zone: string) {
  return makeNode(name, { labels: { [HOST]: name, [ZONE]: zone } });
}

function term(labels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}) {
  return { labelSelector: { matchLabels: labels }, topologyKey, ...extra };
}

/** Runs pre-filter then filter on every node; returns node name → first reason or 'ok'. */
function filterAll(nodes: NodeInfo[], incoming: Pod, nsLabels: Record<string, Record<string, string>> = {}) {
  const plugin = new InterPodAffinity(staticHandle(nodes, { namespaceLabels: (ns) => nsLabels[ns] }));
  const state = new CycleState();
  plugin.preFilter(incoming, state);
  return Object.fromEntries(
    nodes.map((n) => {
      const v = plugin.filter(incoming, n, state);
      return [n.name, v.code === 'Success' ? 'ok' : `${v.code}: ${v.reasons[0]}`];
    }),
  );
}

describe('InterPodAffinity filter', () => {
  const web = (name: string) => pod(name, { app: 'web' });

  it('keeps a pod with required anti-affinity off nodes (and zones) holding matching pods', () => {
    const nodes = [infoOf(node('a1', 'a'), web('w1')), infoOf(node('a2', 'a')), infoOf(node('b1', 'b'))];
    const byHost = pod(
      'x',
      { app: 'x' },
      {
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, HOST)] },
        },
      },
    );
    expect(filterAll(nodes, byHost)).toEqual({
      a1: `Unschedulable: ${ERR_ANTI_AFFINITY}`,
      a2: 'ok',
      b1: 'ok',
    });
    const byZone = pod(
      'y',
      { app: 'y' },
      {
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
        },
      },
    );
    expect(filterAll(nodes, byZone)).toEqual({
      a1: `Unschedulable: ${ERR_ANTI_AFFINITY}`,
      a2: `Unschedulable: ${ERR_ANTI_AFFINITY}`,
      b1: 'ok',
    });
  });

  it("honours existing pods' anti-affinity against the incoming pod", () => {
    const loner = pod(
      'loner',
      { app: 'db' },
      {
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
        },
      },
    );
    const nodes = [infoOf(node('a1', 'a'), loner), infoOf(node('a2', 'a')), infoOf(node('b1', 'b'))];
    expect(filterAll(nodes, web('w'))).toEqual({
      a1: `Unschedulable: ${ERR_EXISTING_ANTI_AFFINITY}`,
      a2: `Unschedulable: ${ERR_EXISTING_ANTI_AFFINITY}`,
      b1: 'ok',
    });
    // A pod the term does not select is not affected.
    expect(filterAll(nodes, pod('other', { app: 'cache' }))).toEqual({ a1: 'ok', a2: 'ok', b1: 'ok' });
  });

  it('puts a pod with required affinity in the topology of a matching pod', () => {
    const nodes = [infoOf(node('a1', 'a')), infoOf(node('b1', 'b'), web('w1')), infoOf(node('b2', 'b'))];
    const follower = pod(
      'f',
      { app: 'f' },
      {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] },
        },
      },
    );
    expect(filterAll(nodes, follower)).toEqual({
      a1: `UnschedulableAndUnresolvable: ${ERR_AFFINITY}`,
      b1: 'ok',
      b2: 'ok',
    });
  });

  it('lets the first pod of a self-selecting group go anywhere, but not a pod that only selects others', () => {
    const nodes = [infoOf(node('a1', 'a')), infoOf(node('b1', 'b')), infoOf(makeNode('nolabel'))];
    const group = pod(
      'g0',
      { app: 'g' },
      {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'g' }, ZONE)] },
        },
      },
    );
    expect(filterAll(nodes, group)).toEqual({
      a1: 'ok',
      b1: 'ok',
      nolabel: `UnschedulableAndUnresolvable: ${ERR_AFFINITY}`,
    });
    const seeker = pod(
      's',
      { app: 's' },
      {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'g' }, ZONE)] },
        },
      },
    );
    expect(Object.values(filterAll(nodes, seeker))).toEqual([
      `UnschedulableAndUnresolvable: ${ERR_AFFINITY}`,
      `UnschedulableAndUnresolvable: ${ERR_AFFINITY}`,
      `UnschedulableAndUnresolvable: ${ERR_AFFINITY}`,
    ]);
  });

  it('matches pods only in the namespaces a term names or selects', () => {
    const other = pod('o', { app: 'web' }, {}, 'other');
    const teamA = pod('t', { app: 'web' }, {}, 'team-a');
    const nodes = [infoOf(node('n1', 'a'), other), infoOf(node('n2', 'b'), teamA), infoOf(node('n3', 'c'))];
    const anti = (extra: Partial<PodAffinityTerm>) =>
      pod(
        'x',
        { app: 'x' },
        {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, HOST, extra)],
            },
          },
        },
      );
    const nsLabels = { other: { team: 'b' }, 'team-a': { team: 'a' } };
    // Default: the pod's own namespace only.
    expect(filterAll(nodes, anti({}), nsLabels)).toEqual({ n1: 'ok', n2: 'ok', n3: 'ok' });
    expect(filterAll(nodes, anti({ namespaces: ['other'] }), nsLabels).n1).toMatch(/anti-affinity/);
    expect(filterAll(nodes, anti({ namespaceSelector: { matchLabels: { team: 'a' } } }), nsLabels)).toEqual({
      n1: 'ok',
      n2: `Unschedulable: ${ERR_ANTI_AFFINITY}`,
      n3: 'ok',
    });
    // An empty namespaceSelector selects every namespace.
    expect(filterAll(nodes, anti({ namespaceSelector: {} }), nsLabels)).toEqual({
      n1: `Unschedulable: ${ERR_ANTI_AFFINITY}`,
      n2: `Unschedulable: ${ERR_ANTI_AFFINITY}`,
      n3: 'ok',
    });
  });

  it('updates its counts when a pod is removed (what preemption relies on)', () => {
    const w = web('w1');
    const n1 = infoOf(node('a1', 'a'), w);
    const incoming = pod(
      'x',
      { app: 'x' },
      {
        affinity: {
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, HOST)] },
        },
      },
    );
    const plugin = new InterPodAffinity(staticHandle([n1]));
    const state = new CycleState();
    plugin.preFilter(incoming, state);
    expect(plugin.filter(incoming, n1, state).code).toBe('Unschedulable');
    const what = state.clone();
    plugin.removePod(what, incoming, w, n1);
    expect(plugin.filter(incoming, n1, what).code).toBe('Success');
    // The original state is untouched.
    expect(plugin.filter(incoming, n1, state).code).toBe('Unschedulable');
  });
});

describe('InterPodAffinity score', () => {
  function scoreAll(nodes: NodeInfo[], incoming: Pod) {
    const plugin = new InterPodAffinity(staticHandle(nodes));
    const state = new CycleState();
    plugin.preScore(incoming, nodes, state);
    const scores = nodes.map((n) => plugin.score(incoming, n, state));
    plugin.normalizeScores(scores);
    return Object.fromEntries(nodes.map((n, i) => [n.name, scores[i]]));
  }

  it('prefers zones with pods its preferred affinity selects and avoids those its preferred anti-affinity selects', () => {
    const nodes = [
      infoOf(node('a1', 'a'), pod('cache', { app: 'cache' })),
      infoOf(node('b1', 'b')),
      infoOf(node('c1', 'c'), pod('noisy', { app: 'noisy' })),
    ];
    const incoming = pod(
      'x',
      { app: 'x' },
      {
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, podAffinityTerm: term({ app: 'cache' }, ZONE) },
            ],
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 5, podAffinityTerm: term({ app: 'noisy' }, ZONE) },
            ],
          },
        },
      },
    );
    // Raw: a1 10, b1 0, c1 -5; min-max to 0..100.
    expect(scoreAll(nodes, incoming)).toEqual({ a1: 100, b1: 33, c1: 0 });
  });

  it("counts existing pods' required affinity towards the incoming pod with weight 1", () => {
    const follower = pod(
      'f',
      { app: 'f' },
      {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'leader' }, HOST)] },
        },
      },
    );
    const nodes = [infoOf(node('a1', 'a'), follower), infoOf(node('b1', 'b'))];
    expect(scoreAll(nodes, pod('l', { app: 'leader' }))).toEqual({ a1: 100, b1: 0 });
    expect(scoreAll(nodes, pod('z', { app: 'other' }))).toEqual({ a1: 0, b1: 0 });
  });
});
