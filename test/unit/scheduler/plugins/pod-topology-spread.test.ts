import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { labelSelectorFromSet } from '../../../../api/labels.js';
import { CycleState, staticHandle } from '../../../../control-plane/scheduler/framework.js';
import type { NodeInfo } from '../../../../control-plane/scheduler/node-info.js';
import {
  ERR_SPREAD,
  ERR_SPREAD_LABEL,
  PodTopologySpread,
} from '../../../../control-plane/scheduler/plugins/pod-topology-spread.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

function pod(name: string, labels: Record<string, string>, spec: Partial<Pod['spec']> = {}): Pod {
  const p = makePod(name, { spec });
  return { ...p, metadata: { ...p.metadata, labels } };
}

function node(name: string, zone: string | undefined, extra: Record<string, string> = {}) {
  const labels: Record<string, string> = { [HOST]: name, ...extra };
  if (zone) labels[ZONE] = zone;
  return makeNode(name, { labels });
}

function spread(c: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint {
  return {
    maxSkew: 1,
    topologyKey: ZONE,
    whenUnsatisfiable: 'DoNotSchedule',
    labelSelector: { matchLabels: { app: 'web' } },
    ...c,
  };
}

const web = (name: string, extra: Record<string, string> = {}) => pod(name, { app: 'web', ...extra });

function filterAll(nodes: NodeInfo[], incoming: Pod) {
  const plugin = new PodTopologySpread(staticHandle(nodes));
  const state = new CycleState();
  plugin.preFilter(incoming, state);
  return Object.fromEntries(
    nodes.map((n) => {
      const v = plugin.filter(incoming, n, state);
      return [n.name, v.code === 'Success' ? 'ok' : `${v.code}: ${v.reasons[0]}`];
    }),
  );
}

describe('PodTopologySpread filter (DoNotSchedule)', () => {
  it('admits only domains where the skew stays within maxSkew', () => {
    const nodes = [
      infoOf(node('a1', 'a'), web('w1'), web('w2')),
      infoOf(node('b1', 'b'), web('w3')),
      infoOf(node('c1', 'c'), pod('other', { app: 'db' })),
    ];
    const incoming = web('new', {});
    const withSpread = {
      ...incoming,
      spec: { ...incoming.spec, topologySpreadConstraints: [spread()] },
    } as Pod;
    expect(filterAll(nodes, withSpread)).toEqual({
      a1: `Unschedulable: ${ERR_SPREAD}`,
      b1: `Unschedulable: ${ERR_SPREAD}`,
      c1: 'ok',
    });
    const loose = {
      ...incoming,
      spec: { ...incoming.spec, topologySpreadConstraints: [spread({ maxSkew: 2 })] },
    } as Pod;
    expect(filterAll(nodes, loose)).toEqual({ a1: `Unschedulable: ${ERR_SPREAD}`, b1: 'ok', c1: 'ok' });
  });

  it('rejects nodes without the topology key as unresolvable', () => {
    const nodes = [infoOf(node('a1', 'a')), infoOf(node('bare', undefined))];
    expect(filterAll(nodes, pod('p', { app: 'web' }, { topologySpreadConstraints: [spread()] }))).toEqual({
      a1: 'ok',
      bare: `UnschedulableAndUnresolvable: ${ERR_SPREAD_LABEL}`,
    });
  });

  it('treats the minimum as 0 while fewer domains than minDomains exist', () => {
    const nodes = [infoOf(node('a1', 'a'), web('w1')), infoOf(node('b1', 'b'), web('w2'))];
    const p = (minDomains?: number) =>
      pod('p', { app: 'web' }, { topologySpreadConstraints: [spread({ minDomains })] });
    expect(filterAll(nodes, p())).toEqual({ a1: 'ok', b1: 'ok' });
    expect(filterAll(nodes, p(3))).toEqual({
      a1: `Unschedulable: ${ERR_SPREAD}`,
      b1: `Unschedulable: ${ERR_SPREAD}`,
    });
  });

  it("leaves nodes the pod's node affinity excludes out of the domains (nodeAffinityPolicy Honor), unless Ignore", () => {
    const nodes = [
      infoOf(node('a1', 'a', { pool: 'x' }), web('w1')),
      infoOf(node('b1', 'b', { pool: 'x' })),
      infoOf(node('c1', 'c', { pool: 'y' })),
    ];
    // Zone c is not eligible, so the min over a,b is 0 and a1 has skew 2.
    const honor = pod(
      'p',
      { app: 'web' },
      { nodeSelector: { pool: 'x' }, topologySpreadConstraints: [spread()] },
    );
    const r = filterAll(nodes.slice(0, 2), honor);
    expect(r).toEqual({ a1: `Unschedulable: ${ERR_SPREAD}`, b1: 'ok' });
    // With b1 holding a pod too, honouring leaves min 1: a1 fits; ignoring counts empty zone c: min 0.
    nodes[1].addPod(web('w2'));
    expect(filterAll(nodes, honor).a1).toBe('ok');
    const ignore = pod(
      'q',
      { app: 'web' },
      {
        nodeSelector: { pool: 'x' },
        topologySpreadConstraints: [spread({ nodeAffinityPolicy: 'Ignore' })],
      },
    );
    expect(filterAll(nodes, ignore).a1).toBe(`Unschedulable: ${ERR_SPREAD}`);
  });

  it('narrows the selector with matchLabelKeys and ignores terminating pods', () => {
    const terminating = web('gone', { version: 'v2' });
    terminating.metadata = { ...terminating.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' };
    const nodes = [
      infoOf(node('a1', 'a'), web('old1', { version: 'v1' }), web('old2', { version: 'v1' }), terminating),
      infoOf(node('b1', 'b'), web('new1', { version: 'v2' })),
    ];
    const incoming = pod(
      'p',
      { app: 'web', version: 'v2' },
      {
        topologySpreadConstraints: [spread({ matchLabelKeys: ['version'] })],
      },
    );
    // Only v2 pods count: a has 0, b has 1.
    expect(filterAll(nodes, incoming)).toEqual({ a1: 'ok', b1: `Unschedulable: ${ERR_SPREAD}` });
  });

  it('counts a victim leaving through removePod', () => {
    const victim = web('w1');
    const nodes = [infoOf(node('a1', 'a'), victim, web('w2')), infoOf(node('b1', 'b'))];
    const incoming = pod('p', { app: 'web' }, { topologySpreadConstraints: [spread()] });
    const plugin = new PodTopologySpread(staticHandle(nodes));
    const state = new CycleState();
    plugin.preFilter(incoming, state);
    expect(plugin.filter(incoming, nodes[0], state).code).toBe('Unschedulable');
    const what = state.clone();
    plugin.removePod(what, incoming, victim, nodes[0]);
    plugin.removePod(what, incoming, web('w2'), nodes[0]);
    expect(plugin.filter(incoming, nodes[0], what).code).toBe('Success');
    expect(plugin.filter(incoming, nodes[0], state).code).toBe('Unschedulable');
  });
});

describe('PodTopologySpread score (ScheduleAnyway and system defaults)', () => {
  function scoreAll(nodes: NodeInfo[], incoming: Pod, defaultSelector?: Record<string, string>) {
    const plugin = new PodTopologySpread(
      staticHandle(nodes, {
        defaultSelector: () => (defaultSelector ? labelSelectorFromSet(defaultSelector) : undefined),
      }),
    );
    const state = new CycleState();
    plugin.preScore(incoming, nodes, state);
    const scores = nodes.map((n) => plugin.score(incoming, n, state));
    plugin.normalizeScores(scores, incoming, state, nodes);
    return Object.fromEntries(nodes.map((n, i) => [n.name, scores[i]]));
  }

  it('prefers the emptier zone and gives nodes without the key 0', () => {
    const nodes = [
      infoOf(node('a1', 'a'), web('w1'), web('w2')),
      infoOf(node('b1', 'b')),
      infoOf(node('bare', undefined)),
    ];
    const incoming = pod(
      'p',
      { app: 'web' },
      {
        topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway' })],
      },
    );
    // Raw a1 = round(2 * ln(4)) = 3, b1 = 0; normalized 100 * (max + min - raw) / max.
    expect(scoreAll(nodes, incoming)).toEqual({ a1: 0, b1: 100, bare: 0 });
  });

  it('applies the system defaults (hostname and zone) through the default selector', () => {
    const nodes = [
      infoOf(node('a1', 'a'), web('w1'), web('w2'), web('w3')),
      infoOf(node('a2', 'a')),
      infoOf(node('b1', 'b')),
    ];
    const incoming = pod('p', { app: 'web' });
    const s = scoreAll(nodes, incoming, { app: 'web' });
    expect(s.b1).toBe(100);
    expect(s.a2).toBeLessThan(100);
    expect(s.a1).toBeLessThan(s.a2);
    // No Service or controller selects the pod: no defaults, every node the same.
    const none = scoreAll(nodes, incoming);
    expect(new Set(Object.values(none)).size).toBe(1);
  });
});
