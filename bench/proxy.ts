/**
 * Proxy benchmark: full sync of 1k/5k/10k services with 5 endpoints each, split into skiff's
 * build time (objects → state → ruleset text) and the kernel tool's apply time, beside applying
 * the same text with raw `nft -f` / `iptables-restore` in the same run; and the time to apply one
 * endpoint change with the largest set present. Everything runs inside a network namespace made
 * for the run.
 */
import { execFileSync } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { createBackend, type ProxyMode, runTool } from '../proxy/backend.js';
import { renderIptables } from '../proxy/iptables-ruleset.js';
import { renderNftables } from '../proxy/nftables-ruleset.js';
import { buildProxyState, type ServicePortsCache } from '../proxy/service-port-map.js';
import { type BenchRow, printAndWrite, round } from './stats.js';

const SIZES = (process.env.BENCH_PROXY_SIZES ?? '1000,5000,10000').split(',').map(Number);
// iptables-restore (nf_tables backend) needs minutes for 10k services with 5 endpoints: opt in.
const IPTABLES_SIZES = (process.env.BENCH_PROXY_IPTABLES_SIZES ?? '1000,5000').split(',').map(Number);
const MODES = (process.env.BENCH_PROXY_MODES ?? 'nftables,iptables').split(',') as ProxyMode[];
const ENDPOINTS = 5;
const NODE = { nodeName: 'bench-node', nodeIPs: ['192.168.99.1'], clusterCidr: '10.244.0.0/16' };

const progress = (msg: string) => process.stderr.write(`bench proxy: ${msg}\n`);

const ip = (base: number, n: number) => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

function objects(count: number): { services: Service[]; slices: Map<string, EndpointSlice[]> } {
  const services: Service[] = [];
  const slices = new Map<string, EndpointSlice[]>();
  for (let i = 0; i < count; i++) {
    const name = `svc-${i}`;
    services.push({
      metadata: { name, namespace: 'bench' },
      spec: {
        type: i % 10 === 0 ? 'NodePort' : 'ClusterIP',
        clusterIP: ip(10, (96 << 16) + i + 1),
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', ...(i % 10 === 0 ? { nodePort: 30000 + i / 10 } : {}) },
        ],
      },
    });
    slices.set(`bench/${name}`, [slice(name, i, 0)]);
  }
  return { services, slices };
}

function slice(name: string, i: number, generation: number): EndpointSlice {
  return {
    metadata: { name: `${name}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({
      addresses: [ip(10, (244 << 16) + ((i * ENDPOINTS + e + generation * 7) % 65_000) + 1)],
      conditions: { ready: true },
      nodeName: e === 0 ? NODE.nodeName : 'other',
    })),
  };
}

async function main(): Promise<void> {
  const ns = `skbench-${Math.random().toString(36).slice(2, 8)}`;
  execFileSync('ip', ['netns', 'add', ns]);
  const rows: BenchRow[] = [];
  try {
    for (const mode of MODES) {
      const sizes = mode === 'iptables' ? IPTABLES_SIZES : SIZES;
      for (const size of sizes) {
        progress(`${mode}: ${size} services`);
        const { services, slices } = objects(size);
        const backend = createBackend(mode, { ...NODE, netns: ns });
        // First apply creates everything; the measured sync is a steady-state full resync.
        await backend.apply(buildProxyState(services, slices).state);
        const t0 = performance.now();
        const { state } = buildProxyState(services, slices);
        const buildMs = performance.now() - t0;
        const timing = await backend.apply(state);
        const fullMs = performance.now() - t0;
        // The same ruleset text, applied by the raw tool.
        const text =
          mode === 'nftables'
            ? renderNftables(state, { ...NODE, existing: renderNftables(state, NODE) }).text
            : renderIptables(state, { ...NODE, existing: renderIptables(state, NODE).chains }).text;
        const r0 = performance.now();
        if (mode === 'nftables') await runTool('nft', ['-f', '-'], text, ns);
        else await runTool('iptables-restore', ['-w', '5', '--noflush'], text, ns);
        const rawMs = performance.now() - r0;
        const k = `${size / 1000}k`;
        const skiffBuild = buildMs + timing.renderMs;
        rows.push({
          metric: `${mode} full sync ${k} services`,
          unit: 'ms',
          value: round(fullMs),
          raw: round(rawMs),
          ratio: round(fullMs / rawMs),
          ...(mode === 'nftables' && size === 10_000 ? { target: '<= 2000', met: fullMs <= 2000 } : {}),
        });
        rows.push({
          metric: `${mode} build (state + render) ${k} services`,
          unit: 'ms',
          value: round(skiffBuild),
          raw: round(rawMs),
          ratio: round(skiffBuild / rawMs),
          ...(mode === 'nftables' ? { target: '<= raw apply', met: skiffBuild <= rawMs } : {}),
        });
        rows.push({
          metric: `${mode} apply ${k} services`,
          unit: 'ms',
          value: round(timing.applyMs),
          raw: round(rawMs),
        });
        if (size === Math.max(...sizes)) {
          // As the proxier does: per-service results cached, only the changed service rewritten.
          const cache: ServicePortsCache = new Map();
          buildProxyState(services, slices, cache);
          const samples: number[] = [];
          for (let g = 1; g <= 3; g++) {
            const victim = `svc-${g * 17}`;
            slices.set(`bench/${victim}`, [slice(victim, g * 17, g)]);
            const c0 = performance.now();
            await backend.apply(buildProxyState(services, slices, cache).state, new Set([`bench/${victim}`]));
            samples.push(performance.now() - c0);
          }
          const change = samples.sort((a, b) => a - b)[1];
          rows.push({
            metric: `${mode} one endpoint change with ${k} services`,
            unit: 'ms',
            value: round(change),
            raw: round(rawMs),
            ...(mode === 'nftables' ? { target: '<= 100', met: change <= 100 } : {}),
          });
        }
        await backend.cleanup();
      }
    }
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
  printAndWrite('proxy', rows);
}

await main();
