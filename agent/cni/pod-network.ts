import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { Informer } from '../../client/informer.js';
import type { ApiClient } from '../../client/rest-client.js';
import type { CriClient, RuntimeCondition } from '../../shim/index.js';
import { NODES } from '../resources.js';
import { bridgeConflist, parseCidr } from './bridge-conflist.js';

export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';
export const DEFAULT_CNI_CONF_FILE = '10-skiff.conflist';
export const DEFAULT_CNI_BRIDGE = 'cni0';
/** How often the runtime's NetworkReady is checked while not ready, and once ready. */
const CHECK_NOT_READY_MS = 1000;
const CHECK_READY_MS = 10_000;

export interface PodNetworkOptions {
  api: ApiClient;
  cri: CriClient;
  log: Logger;
  nodeName: string;
  /**
   * The runtime's CNI conf_dir (the CLI's default is /etc/cni/net.d). Unset: the kubelet
   * writes no CNI config (another agent manages it) and only the runtime's NetworkReady counts.
   */
  confDir?: string;
  /** File name of the conflist written there. Default 10-skiff.conflist (the runtime loads the first by name). */
  confFile?: string;
  /** Bridge of the pods. Default cni0. */
  bridge?: string;
  /** Masquerade pod traffic leaving the node's pod CIDR. Default true. */
  ipMasq?: boolean;
  /** host-local's lease directory. Default: the plugin's own. */
  ipamDataDir?: string;
  /** `--pod-cidr`: used while (or when) the Node has no spec.podCIDRs, e.g. without node IPAM. */
  podCIDRs?: string[];
  /** Called when readiness changes (e.g. to write the Node's Ready condition at once). */
  onChange?: () => void;
}

export function networkNotReadyMessage(reason: string, message: string): string {
  return `container runtime network not ready: NetworkReady=false reason:${reason} message:${message}`;
}

/**
 * Pod networking of the node: once the node has a pod CIDR (its Node's spec.podCIDRs, or
 * `--pod-cidr`), writes the bridge conflist into the runtime's CNI conf dir; reports network
 * readiness from that and the runtime's NetworkReady condition. Pods on the pod network get
 * no sandbox until it is ready (hostNetwork pods do not wait).
 */
export class PodNetwork {
  /** Where the conflist goes; undefined when the kubelet does not manage it. */
  readonly confPath: string | undefined;
  private written: string | undefined;
  private cidrs: string[] = [];
  private runtimeNetwork: RuntimeCondition | undefined;
  private readonly log: Logger;
  private readonly informer: Informer<Node>;

  constructor(private readonly o: PodNetworkOptions) {
    this.confPath = o.confDir ? join(o.confDir, o.confFile ?? DEFAULT_CNI_CONF_FILE) : undefined;
    this.log = o.log.child({ component: 'pod-network' });
    for (const c of o.podCIDRs ?? []) parseCidr(c);
    this.informer = new Informer<Node>(o.api, NODES, {
      fieldSelector: `metadata.name=${o.nodeName}`,
      log: this.log,
    });
  }

  /** The pod CIDRs the written conflist serves (empty until then). */
  get podCIDRs(): string[] {
    return [...this.cidrs];
  }

  /** Undefined when pods can get a network, else why not (the Node's Ready message). */
  notReadyMessage(): string | undefined {
    if (this.confPath && this.written === undefined)
      return networkNotReadyMessage(
        'NetworkPluginNotReady',
        `no pod CIDR assigned to node ${this.o.nodeName} yet: no CNI config written to ${this.confPath}`,
      );
    const rn = this.runtimeNetwork;
    if (!rn) return networkNotReadyMessage('NetworkPluginNotReady', 'runtime network status not known yet');
    if (!rn.status) return networkNotReadyMessage(rn.reason, rn.message);
    return undefined;
  }

  /** Takes the runtime's NetworkReady condition from a CRI Status answer. */
  observeRuntime(conditions: RuntimeCondition[]): void {
    this.setRuntime(
      conditions.find((x) => x.type === 'NetworkReady') ?? {
        type: 'NetworkReady',
        status: false,
        reason: 'NetworkPluginNotReady',
        message: 'the runtime reports no NetworkReady condition',
      },
    );
  }

  private setRuntime(c: RuntimeCondition): void {
    const was = this.runtimeNetwork?.status;
    this.runtimeNetwork = c;
    if (was !== undefined && was !== c.status) {
      this.log.info(
        { ready: c.status, reason: c.reason, message: c.message },
        'runtime network readiness changed',
      );
      this.o.onChange?.();
    }
  }

  /** Asks the runtime for its NetworkReady condition now. */
  async checkRuntime(): Promise<void> {
    try {
      this.observeRuntime((await this.o.cri.runtime.status()).status?.conditions ?? []);
    } catch (e) {
      this.setRuntime({
        type: 'NetworkReady',
        status: false,
        reason: 'NetworkPluginNotReady',
        message: `runtime status unavailable: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }

  /**
   * Resolves once the Node was read and its conflist written (or `timeoutMs` passed), so a
   * restarted kubelet does not report the network as not ready for a moment. Call after run().
   */
  async waitForNode(signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (!this.confPath) return;
    const inner = new AbortController();
    const timer = setTimeout(() => inner.abort(), timeoutMs);
    const stop = () => inner.abort();
    signal.addEventListener('abort', stop);
    try {
      await this.informer.waitForSync(inner.signal);
      await this.applying;
    } catch {
      // timed out or stopping: readiness is reported as it is
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }

  /** Follows the Node's podCIDRs and the runtime's network state until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let informerDone: Promise<void> | undefined;
    if (this.confPath) {
      const onNode = (n: Node) => void this.apply(this.cidrsOf(n));
      this.informer.addEventHandler({ onAdd: onNode, onUpdate: (_o, n) => onNode(n) });
      informerDone = this.informer.start(signal);
      if (this.o.podCIDRs?.length) await this.apply(this.o.podCIDRs);
    }
    while (!signal.aborted) {
      await this.checkRuntime();
      const ms = this.notReadyMessage() ? CHECK_NOT_READY_MS : CHECK_READY_MS;
      await new Promise((r) => {
        const t = setTimeout(r, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    await informerDone;
  }

  private cidrsOf(n: Node): string[] {
    const fromNode = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
    if (fromNode.length === 0) return this.o.podCIDRs ?? [];
    const flag = this.o.podCIDRs ?? [];
    if (flag.length > 0 && flag.join(',') !== fromNode.join(','))
      this.log.warn(
        { flag, node: fromNode },
        "the Node has other pod CIDRs than --pod-cidr: using the Node's",
      );
    return fromNode;
  }

  private applying: Promise<void> = Promise.resolve();

  /** Writes the conflist for `cidrs` (atomically, only when its content changes). */
  private apply(cidrs: string[]): Promise<void> {
    this.applying = this.applying
      .then(() => this.write(cidrs))
      .catch((e) => {
        this.log.error({ err: e, podCIDRs: cidrs }, 'writing the CNI config failed');
      });
    return this.applying;
  }

  private async write(cidrs: string[]): Promise<void> {
    const dir = this.o.confDir;
    if (cidrs.length === 0 || !dir || !this.confPath) return;
    const text = `${JSON.stringify(
      bridgeConflist({
        networkName: `skiff-${this.o.bridge ?? DEFAULT_CNI_BRIDGE}`,
        bridge: this.o.bridge ?? DEFAULT_CNI_BRIDGE,
        podCIDRs: cidrs,
        ipMasq: this.o.ipMasq ?? true,
        ipamDataDir: this.o.ipamDataDir,
      }),
      null,
      2,
    )}\n`;
    if (text === this.written) return;
    const onDisk = await readFile(this.confPath, 'utf8').catch(() => undefined);
    if (onDisk !== text) {
      await mkdir(dir, { recursive: true });
      // The runtime watches the directory: it must never see a half-written file.
      const tmp = join(dir, `.${this.o.confFile ?? DEFAULT_CNI_CONF_FILE}.tmp`);
      await writeFile(tmp, text, { mode: 0o644 });
      await rename(tmp, this.confPath).catch(async (e) => {
        await rm(tmp, { force: true });
        throw e;
      });
    }
    const first = this.written === undefined;
    this.written = text;
    this.cidrs = [...cidrs];
    this.log.info({ podCIDRs: cidrs, path: this.confPath, first }, 'CNI config written');
    await this.checkRuntime();
    this.o.onChange?.();
  }
}
