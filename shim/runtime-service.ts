import type { CriCallOptions, CriConnection } from './connection.js';
import type {
  AttachRequest,
  Container,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatusResponse,
  CreateContainerRequest,
  ExecRequest,
  ExecSyncRequest,
  ExecSyncResponse,
  PodSandbox,
  PodSandboxFilter,
  PodSandboxStats,
  PodSandboxStatsFilter,
  PodSandboxStatusResponse,
  PortForwardRequest,
  RunPodSandboxRequest,
  RuntimeConfigResponse,
  StatusResponse,
  UpdateContainerResourcesRequest,
  VersionResponse,
} from './types.js';

/** The CRI version string the kubelet sends in VersionRequest. */
export const KUBE_RUNTIME_API_VERSION = '0.1.0';

/** Typed client of runtime.v1.RuntimeService. Every call has a deadline; failures are CriErrors. */
export class RuntimeServiceClient {
  constructor(private readonly conn: CriConnection) {}

  private call<Res>(method: string, req: object, opts?: CriCallOptions, timeoutMs?: number): Promise<Res> {
    return this.conn.call<Res>('RuntimeService', method, req, opts, timeoutMs);
  }

  version(opts?: CriCallOptions): Promise<VersionResponse> {
    return this.call('Version', { version: KUBE_RUNTIME_API_VERSION }, opts);
  }

  status(verbose = false, opts?: CriCallOptions): Promise<StatusResponse> {
    return this.call('Status', { verbose }, opts);
  }

  /** Not served by containerd 1.6 (SKIFF_CRI_UNIMPLEMENTED). */
  runtimeConfig(opts?: CriCallOptions): Promise<RuntimeConfigResponse> {
    return this.call('RuntimeConfig', {}, opts);
  }

  async updateRuntimeConfig(podCidr: string, opts?: CriCallOptions): Promise<void> {
    await this.call('UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr } } }, opts);
  }

  // ---- sandboxes ----

  /** Returns the sandbox id. */
  async runPodSandbox(req: RunPodSandboxRequest, opts?: CriCallOptions): Promise<string> {
    const res = await this.call<{ podSandboxId: string }>('RunPodSandbox', req, opts);
    return res.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string, opts?: CriCallOptions): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId }, opts);
  }

  async removePodSandbox(podSandboxId: string, opts?: CriCallOptions): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId }, opts);
  }

  podSandboxStatus(
    podSandboxId: string,
    verbose = false,
    opts?: CriCallOptions,
  ): Promise<PodSandboxStatusResponse> {
    return this.call('PodSandboxStatus', { podSandboxId, verbose }, opts);
  }

  async listPodSandbox(filter?: PodSandboxFilter, opts?: CriCallOptions): Promise<PodSandbox[]> {
    const res = await this.call<{ items: PodSandbox[] }>('ListPodSandbox', { filter: filter ?? null }, opts);
    return res.items;
  }

  // ---- containers ----

  /** Returns the container id. */
  async createContainer(req: CreateContainerRequest, opts?: CriCallOptions): Promise<string> {
    const res = await this.call<{ containerId: string }>('CreateContainer', req, opts);
    return res.containerId;
  }

  async startContainer(containerId: string, opts?: CriCallOptions): Promise<void> {
    await this.call('StartContainer', { containerId }, opts);
  }

  /** `timeoutSeconds` is the grace period before SIGKILL; the call's deadline covers it. */
  async stopContainer(containerId: string, timeoutSeconds: number, opts?: CriCallOptions): Promise<void> {
    await this.call(
      'StopContainer',
      { containerId, timeout: timeoutSeconds },
      opts,
      timeoutSeconds * 1000 + this.conn.timeoutMs,
    );
  }

  async removeContainer(containerId: string, opts?: CriCallOptions): Promise<void> {
    await this.call('RemoveContainer', { containerId }, opts);
  }

  async listContainers(filter?: ContainerFilter, opts?: CriCallOptions): Promise<Container[]> {
    const res = await this.call<{ containers: Container[] }>(
      'ListContainers',
      { filter: filter ?? null },
      opts,
    );
    return res.containers;
  }

  containerStatus(
    containerId: string,
    verbose = false,
    opts?: CriCallOptions,
  ): Promise<ContainerStatusResponse> {
    return this.call('ContainerStatus', { containerId, verbose }, opts);
  }

  async updateContainerResources(req: UpdateContainerResourcesRequest, opts?: CriCallOptions): Promise<void> {
    await this.call('UpdateContainerResources', req, opts);
  }

  async reopenContainerLog(containerId: string, opts?: CriCallOptions): Promise<void> {
    await this.call('ReopenContainerLog', { containerId }, opts);
  }

  // ---- exec, attach, port-forward ----

  /** The deadline defaults to the command's own timeout plus the default deadline. */
  execSync(req: ExecSyncRequest, opts?: CriCallOptions): Promise<ExecSyncResponse> {
    const t = req.timeout ?? 0;
    return this.call(
      'ExecSync',
      { ...req, timeout: t },
      opts,
      t > 0 ? t * 1000 + this.conn.timeoutMs : undefined,
    );
  }

  /** Returns the single-use streaming URL. */
  async exec(req: ExecRequest, opts?: CriCallOptions): Promise<string> {
    return (await this.call<{ url: string }>('Exec', req, opts)).url;
  }

  /** Returns the single-use streaming URL. */
  async attach(req: AttachRequest, opts?: CriCallOptions): Promise<string> {
    return (await this.call<{ url: string }>('Attach', req, opts)).url;
  }

  /** Returns the single-use streaming URL. */
  async portForward(req: PortForwardRequest, opts?: CriCallOptions): Promise<string> {
    return (await this.call<{ url: string }>('PortForward', req, opts)).url;
  }

  // ---- stats ----

  async containerStats(containerId: string, opts?: CriCallOptions): Promise<ContainerStats | null> {
    return (await this.call<{ stats: ContainerStats | null }>('ContainerStats', { containerId }, opts)).stats;
  }

  async listContainerStats(filter?: ContainerStatsFilter, opts?: CriCallOptions): Promise<ContainerStats[]> {
    const res = await this.call<{ stats: ContainerStats[] }>(
      'ListContainerStats',
      { filter: filter ?? null },
      opts,
    );
    return res.stats;
  }

  async podSandboxStats(podSandboxId: string, opts?: CriCallOptions): Promise<PodSandboxStats | null> {
    return (await this.call<{ stats: PodSandboxStats | null }>('PodSandboxStats', { podSandboxId }, opts))
      .stats;
  }

  async listPodSandboxStats(
    filter?: PodSandboxStatsFilter,
    opts?: CriCallOptions,
  ): Promise<PodSandboxStats[]> {
    const res = await this.call<{ stats: PodSandboxStats[] }>(
      'ListPodSandboxStats',
      { filter: filter ?? null },
      opts,
    );
    return res.stats;
  }
}
