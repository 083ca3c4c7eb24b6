// TypeScript shapes of the CRI runtime.v1 messages as @grpc/proto-loader gives them
// (camelCase fields; enums as their names; int64/uint64 as decimal strings; bytes as
// Buffer). Requests accept numbers for 64-bit fields; in responses every scalar is
// present (defaults) and an unset sub-message is null.

export type Int64 = string;
/** A 64-bit integer in a request: a number or a decimal string. */
export type Int64In = number | string;
export type StringMap = Record<string, string>;

// ---- enums ----
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 'PROPAGATION_BIDIRECTIONAL';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type SupplementalGroupsPolicy = 'Merge' | 'Strict';
export type ProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';
export type CgroupDriver = 'SYSTEMD' | 'CGROUPFS';

// ---- shared ----
export interface Int64Value {
  value: Int64In;
}
export interface UInt64Value {
  value: Int64;
}
export interface KeyValue {
  key: string;
  value: string;
}
export interface DNSConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}
export interface PortMapping {
  protocol?: Protocol;
  containerPort?: number;
  hostPort?: number;
  hostIp?: string;
}
export interface IDMapping {
  hostId: number;
  containerId: number;
  length: number;
}
export interface ImageSpec {
  image: string;
  annotations?: StringMap;
  userSpecifiedImage?: string;
  runtimeHandler?: string;
}
export interface Mount {
  containerPath: string;
  hostPath?: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  recursiveReadOnly?: boolean;
  image?: ImageSpec | null;
}
export interface UserNamespace {
  mode?: NamespaceMode;
  uids?: IDMapping[];
  gids?: IDMapping[];
}
export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
  usernsOptions?: UserNamespace | null;
}
export interface SELinuxOption {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}
export interface SecurityProfile {
  profileType?: ProfileType;
  localhostRef?: string;
}
export interface Capability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
  addAmbientCapabilities?: string[];
}
export interface HugepageLimit {
  pageSize: string;
  limit: Int64In;
}
export interface LinuxContainerResources {
  cpuPeriod?: Int64In;
  cpuQuota?: Int64In;
  cpuShares?: Int64In;
  memoryLimitInBytes?: Int64In;
  oomScoreAdj?: Int64In;
  cpusetCpus?: string;
  cpusetMems?: string;
  hugepageLimits?: HugepageLimit[];
  unified?: StringMap;
  memorySwapLimitInBytes?: Int64In;
}

// ---- version, status, runtime config ----
export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}
export interface RuntimeHandler {
  name: string;
  features: { recursiveReadOnlyMounts: boolean; userNamespaces: boolean } | null;
}
export interface StatusResponse {
  status: { conditions: RuntimeCondition[] } | null;
  info: StringMap;
  runtimeHandlers: RuntimeHandler[];
  features: { supplementalGroupsPolicy: boolean } | null;
}
export interface RuntimeConfigResponse {
  linux: { cgroupDriver: CgroupDriver } | null;
}

// ---- sandboxes ----
export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption | null;
  selinuxOptions?: SELinuxOption | null;
  runAsUser?: Int64Value | null;
  runAsGroup?: Int64Value | null;
  readonlyRootfs?: boolean;
  supplementalGroups?: Int64In[];
  supplementalGroupsPolicy?: SupplementalGroupsPolicy;
  privileged?: boolean;
  seccomp?: SecurityProfile | null;
  apparmor?: SecurityProfile | null;
}
export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext | null;
  sysctls?: StringMap;
  overhead?: LinuxContainerResources | null;
  resources?: LinuxContainerResources | null;
}
export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt?: number;
}
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  /** Must stay empty for a NODE network namespace (no private UTS namespace). */
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DNSConfig | null;
  portMappings?: PortMapping[];
  labels?: StringMap;
  annotations?: StringMap;
  linux?: LinuxPodSandboxConfig | null;
}
export interface RunPodSandboxRequest {
  config: PodSandboxConfig;
  runtimeHandler?: string;
}
export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps: { ip: string }[];
}
export interface PodSandboxStatus {
  id: string;
  metadata: Required<PodSandboxMetadata> | null;
  state: PodSandboxState;
  createdAt: Int64;
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}
export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  info: StringMap;
  containersStatuses: ContainerStatus[];
  timestamp: Int64;
}
export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState } | null;
  labelSelector?: StringMap;
}
export interface PodSandbox {
  id: string;
  metadata: Required<PodSandboxMetadata> | null;
  state: PodSandboxState;
  createdAt: Int64;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

// ---- containers ----
export interface LinuxContainerSecurityContext {
  capabilities?: Capability | null;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption | null;
  selinuxOptions?: SELinuxOption | null;
  runAsUser?: Int64Value | null;
  runAsGroup?: Int64Value | null;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: Int64In[];
  supplementalGroupsPolicy?: SupplementalGroupsPolicy;
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile | null;
  apparmor?: SecurityProfile | null;
}
export interface ContainerMetadata {
  name: string;
  attempt?: number;
}
export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}
export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: StringMap;
  annotations?: StringMap;
  /** Relative to the sandbox's logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources | null;
    securityContext?: LinuxContainerSecurityContext | null;
  } | null;
  CDIDevices?: { name: string }[];
}
export interface CreateContainerRequest {
  podSandboxId: string;
  config: ContainerConfig;
  sandboxConfig: PodSandboxConfig;
}
export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState } | null;
  podSandboxId?: string;
  labelSelector?: StringMap;
}
export interface Container {
  id: string;
  podSandboxId: string;
  metadata: Required<ContainerMetadata> | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: Int64;
  labels: StringMap;
  annotations: StringMap;
  imageId: string;
}
export interface ContainerStatus {
  id: string;
  metadata: Required<ContainerMetadata> | null;
  state: ContainerState;
  createdAt: Int64;
  startedAt: Int64;
  finishedAt: Int64;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Mount[];
  logPath: string;
  resources: { linux: LinuxContainerResources | null } | null;
  imageId: string;
  user: { linux: { uid: Int64; gid: Int64; supplementalGroups: Int64[] } | null } | null;
  imageSource: string;
}
export interface ContainerStatusResponse {
  status: ContainerStatus | null;
  info: StringMap;
}
export interface UpdateContainerResourcesRequest {
  containerId: string;
  linux?: LinuxContainerResources | null;
  annotations?: StringMap;
}

// ---- exec, attach, port-forward ----
export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  /** Seconds; 0 runs without a runtime-side timeout. */
  timeout?: number;
}
export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}
export interface AttachRequest {
  containerId: string;
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}
export interface PortForwardRequest {
  podSandboxId: string;
  port?: number[];
}

// ---- stats ----
export interface FilesystemUsage {
  timestamp: Int64;
  fsId: { mountpoint: string } | null;
  usedBytes: UInt64Value | null;
  inodesUsed: UInt64Value | null;
}
export interface CpuUsage {
  timestamp: Int64;
  usageCoreNanoSeconds: UInt64Value | null;
  usageNanoCores: UInt64Value | null;
}
export interface MemoryUsage {
  timestamp: Int64;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
}
export interface ContainerStats {
  attributes: {
    id: string;
    metadata: Required<ContainerMetadata> | null;
    labels: StringMap;
    annotations: StringMap;
  } | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writableLayer: FilesystemUsage | null;
  swap: {
    timestamp: Int64;
    swapAvailableBytes: UInt64Value | null;
    swapUsageBytes: UInt64Value | null;
  } | null;
}
export interface ContainerStatsFilter {
  id?: string;
  podSandboxId?: string;
  labelSelector?: StringMap;
}
export interface NetworkInterfaceUsage {
  name: string;
  rxBytes: UInt64Value | null;
  rxErrors: UInt64Value | null;
  txBytes: UInt64Value | null;
  txErrors: UInt64Value | null;
}
export interface PodSandboxStats {
  attributes: {
    id: string;
    metadata: Required<PodSandboxMetadata> | null;
    labels: StringMap;
    annotations: StringMap;
  } | null;
  linux: {
    cpu: CpuUsage | null;
    memory: MemoryUsage | null;
    network: {
      timestamp: Int64;
      defaultInterface: NetworkInterfaceUsage | null;
      interfaces: NetworkInterfaceUsage[];
    } | null;
    process: { timestamp: Int64; processCount: UInt64Value | null } | null;
    containers: ContainerStats[];
  } | null;
}
export interface PodSandboxStatsFilter {
  id?: string;
  labelSelector?: StringMap;
}

// ---- images ----
export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: Int64;
  uid: { value: Int64 } | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
  imageSource: string;
}
export interface ImageStatusResponse {
  /** null when the image is not present. */
  image: Image | null;
  info: StringMap;
}
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `user:password`, as in a docker config. */
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}
export interface PullImageRequest {
  image: ImageSpec;
  auth?: AuthConfig | null;
  sandboxConfig?: PodSandboxConfig | null;
}
export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}
