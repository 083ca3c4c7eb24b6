import { spawn } from 'node:child_process';
import { type ConntrackFilter, conntrackArgs } from './conntrack.js';
import {
  type IptTable,
  missingJumps,
  parseIptablesSave,
  renderIptables,
  renderIptablesCleanup,
} from './iptables-ruleset.js';
import {
  NFT_FAMILY,
  NFT_TABLE,
  type NftSnapshot,
  namesInSnapshot,
  parseNftTableListing,
  renderNftables,
  renderNftablesCleanup,
  renderNftablesPartial,
} from './nftables-ruleset.js';
import type { ProxyState } from './service-port-map.js';

export type ProxyMode = 'nftables' | 'iptables';

/** Node facts the renderers need. */
export interface BackendOptions {
  nodeName: string;
  nodeIPs: string[];
  clusterCidr: string;
  /** iptables mode: NodePorts on 127.0.0.1 too (default true, as upstream); nftables never has them. */
  localhostNodePorts?: boolean;
  /** Run the kernel tools inside this named network namespace (/run/netns/NAME). */
  netns?: string;
}

/** Timing of one apply, split into rendering and the kernel tool's own run. */
export interface ApplyTiming {
  renderMs: number;
  applyMs: number;
  bytes: number;
  partial: boolean;
}

/**
 * The one way the proxy reaches the kernel: apply the whole desired state atomically, or remove
 * everything it made. A failed apply leaves the previous rules in place (the tools' transactions
 * are atomic) and throws; the caller retries on the next sync.
 */
export interface ProxyBackend {
  readonly mode: ProxyMode;
  /**
   * Applies `state`. With `changed` (service keys `namespace/name`), a backend may rewrite only
   * those services' rules; without it, or after a failure, it rewrites everything.
   */
  apply(state: ProxyState, changed?: ReadonlySet<string>): Promise<ApplyTiming>;
  cleanup(): Promise<void>;
  /** Deletes conntrack entries (stale UDP flows); entries that do not exist are not an error. */
  clearConntrack(filters: readonly ConntrackFilter[]): Promise<void>;
}

export class ProxyBackendError extends Error {
  readonly code = 'SKIFF_PROXY_APPLY_FAILED';
}

/** Runs a command (inside the namespace when set) with `input` on stdin; resolves with stdout. */
export function runTool(cmd: string, args: string[], input: string, netns?: string): Promise<string> {
  const [file, argv] = netns ? ['nsenter', [`--net=/run/netns/${netns}`, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new ProxyBackendError(`${cmd} could not be started`, { cause: e })));
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString().trim();
      if (code === 0) resolve(Buffer.concat(out).toString());
      else
        reject(
          new ProxyBackendError(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(0, 2000)}`),
        );
    });
    child.stdin.on('error', () => {}); // the close handler reports the failure
    child.stdin.end(input);
  });
}

/** Runs `conntrack -D` per filter; exit 1 means "nothing matched", which is fine. */
async function deleteFlows(filters: readonly ConntrackFilter[], netns?: string): Promise<void> {
  for (const f of filters) {
    try {
      await runTool('conntrack', conntrackArgs(f), '', netns);
    } catch (e) {
      if (!/exited with 1:/.test((e as Error).message)) throw e;
    }
  }
}

export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  /** What the table holds after the last successful apply; unknown (listed) after a failure. */
  private snapshot: NftSnapshot | undefined;

  constructor(private readonly opts: BackendOptions) {}

  async apply(state: ProxyState, changed?: ReadonlySet<string>): Promise<ApplyTiming> {
    const t0 = performance.now();
    let text: string;
    let next: NftSnapshot;
    const partial = changed !== undefined && this.snapshot !== undefined;
    if (partial && this.snapshot) {
      ({ text, snapshot: next } = renderNftablesPartial(
        state,
        this.opts,
        this.snapshot,
        changed ?? new Set(),
      ));
    } else {
      const before = this.snapshot ? namesInSnapshot(this.snapshot, this.opts) : await this.list();
      ({ text, snapshot: next } = renderNftables(state, { ...this.opts, existing: before }));
    }
    const t1 = performance.now();
    try {
      // A partial sync of services that have no rules either side has nothing to write.
      if (text.trim() !== '') await runTool('nft', ['-f', '-'], text, this.opts.netns);
    } catch (e) {
      // List the table again and rewrite it whole on the retry.
      this.snapshot = undefined;
      throw e;
    }
    this.snapshot = next;
    return { renderMs: t1 - t0, applyMs: performance.now() - t1, bytes: text.length, partial };
  }

  async cleanup(): Promise<void> {
    await runTool('nft', ['-f', '-'], renderNftablesCleanup(), this.opts.netns);
    this.snapshot = undefined;
  }

  clearConntrack(filters: readonly ConntrackFilter[]): Promise<void> {
    return deleteFlows(filters, this.opts.netns);
  }

  private async list(): Promise<{ chains: string[]; sets: string[] }> {
    try {
      return parseNftTableListing(
        await runTool('nft', ['list', 'table', NFT_FAMILY, NFT_TABLE], '', this.opts.netns),
      );
    } catch {
      return { chains: [], sets: [] }; // no table yet
    }
  }
}

export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables' as const;
  private known: { existing: Record<IptTable, string[]>; missingJumps: string[] } | undefined;

  constructor(private readonly opts: BackendOptions) {}

  async apply(state: ProxyState): Promise<ApplyTiming> {
    if (!this.known) {
      const saved = await this.save();
      this.known = {
        existing: { nat: saved.nat.chains, filter: saved.filter.chains },
        missingJumps: missingJumps(saved),
      };
    }
    const t0 = performance.now();
    const r = renderIptables(state, { ...this.opts, ...this.known });
    const t1 = performance.now();
    try {
      await runTool('iptables-restore', ['-w', '5', '--noflush'], r.text, this.opts.netns);
    } catch (e) {
      this.known = undefined;
      throw e;
    }
    this.known = { existing: r.chains, missingJumps: [] };
    return { renderMs: t1 - t0, applyMs: performance.now() - t1, bytes: r.text.length, partial: false };
  }

  async cleanup(): Promise<void> {
    const text = renderIptablesCleanup(await this.save());
    if (text) await runTool('iptables-restore', ['-w', '5', '--noflush'], text, this.opts.netns);
    this.known = undefined;
  }

  clearConntrack(filters: readonly ConntrackFilter[]): Promise<void> {
    return deleteFlows(filters, this.opts.netns);
  }

  private async save(): Promise<ReturnType<typeof parseIptablesSave>> {
    const nat = await runTool('iptables-save', ['-t', 'nat'], '', this.opts.netns);
    const filter = await runTool('iptables-save', ['-t', 'filter'], '', this.opts.netns);
    return parseIptablesSave(`${nat}\n${filter}`);
  }
}

export function createBackend(mode: ProxyMode, opts: BackendOptions): ProxyBackend {
  return mode === 'nftables' ? new NftablesBackend(opts) : new IptablesBackend(opts);
}
