import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../api/errors.js';
import type { EventRecorder } from '../client/event-recorder.js';
import { rfc3339 } from '../client/micro-time.js';
import type { ApiClient } from '../client/rest-client.js';
import type { CriClient, RuntimeCondition } from '../shim/index.js';
import type { HostFacts } from './node-info.js';
import { NO_PRESSURE, type NodePressureState, type PressureCondition } from './node-pressure.js';
import { NODES } from './resources.js';

export const KUBELET_VERSION = 'v1.32.4-skiff';
export const KUBELET_PORT = 10250;
/** The Ready condition is rewritten at least this often, even when nothing changed. */
const HEARTBEAT_MS = 60_000;

export interface NodeRegistrationOptions {
  api: ApiClient;
  cri: CriClient;
  log: Logger;
  nodeName: string;
  nodeIP: string;
  host: HostFacts;
  now?: () => number;
  /** Pod network readiness: the node is not Ready until pods can get a network. */
  network?: NetworkReadiness;
  /**
   * MemoryPressure/DiskPressure/PIDPressure (agent/node-pressure NodePressure), measured at
   * each sync. Without it the three conditions are reported False.
   */
  pressure?: PressureSource;
  /** Where the pressure transitions go as Node Events (NodeHasSufficientMemory...), as upstream. */
  events?: Pick<EventRecorder, 'event'>;
  /** The kubelet API's port, published in status.daemonEndpoints. Default 10250. */
  kubeletPort?: number;
}

/** What the Ready condition needs of pod networking (agent/cni PodNetwork). */
export interface NetworkReadiness {
  /** Takes the runtime's conditions (NetworkReady) from a CRI Status answer. */
  observeRuntime(conditions: RuntimeCondition[]): void;
  /** Undefined when ready, else the message for the Ready condition. */
  notReadyMessage(): string | undefined;
}

/** What the pressure conditions need: a measurement per status check. */
export interface PressureSource {
  sync(): Promise<NodePressureState>;
}

export interface RuntimeReadiness {
  ready: boolean;
  message: string;
  runtimeVersion: string;
}

/**
 * Asks the runtime whether it is ready; an unreachable runtime counts as not ready. With
 * `network`, pod networking must be ready too (its message when it is not, as upstream's
 * "container runtime network not ready: NetworkReady=false reason:... message:...").
 */
export async function runtimeReadiness(
  cri: CriClient,
  network?: NetworkReadiness,
): Promise<RuntimeReadiness> {
  try {
    const [version, status] = await Promise.all([cri.runtime.version(), cri.runtime.status()]);
    const runtimeVersion = `${version.runtimeName}://${version.runtimeVersion}`;
    const conds = status.status?.conditions ?? [];
    const notReady = conds.filter((c) => !c.status && c.type === 'RuntimeReady');
    if (!conds.some((c) => c.type === 'RuntimeReady' && c.status))
      return {
        ready: false,
        runtimeVersion,
        message: `container runtime is not ready: ${notReady.map((c) => `${c.reason} ${c.message}`).join('; ') || 'no RuntimeReady condition'}`,
      };
    if (network) {
      network.observeRuntime(conds);
      const message = network.notReadyMessage();
      if (message) return { ready: false, runtimeVersion, message };
    }
    return { ready: true, runtimeVersion, message: 'kubelet is posting ready status' };
  } catch (e) {
    return {
      ready: false,
      runtimeVersion: '',
      message: `container runtime is down: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** The Node object as first registered (labels, capacity, addresses, nodeInfo). */
export function desiredNode(o: {
  nodeName: string;
  nodeIP: string;
  host: HostFacts;
  runtimeVersion: string;
  /** Where the kubelet API listens (the apiserver proxies logs and exec there). Default 10250. */
  kubeletPort?: number;
}): Node {
  const capacity = {
    cpu: String(o.host.cpus),
    memory: `${Math.floor(o.host.memoryBytes / 1024)}Ki`,
    pods: '110',
    'ephemeral-storage': `${Math.floor(o.host.ephemeralStorageBytes / 1024)}Ki`,
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.nodeName,
      labels: {
        'kubernetes.io/hostname': o.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': o.host.architecture,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': o.host.architecture,
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: { ...capacity },
      addresses: [
        { type: 'InternalIP', address: o.nodeIP },
        { type: 'Hostname', address: o.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort ?? KUBELET_PORT } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: o.host.kernelVersion,
        osImage: o.host.osImage,
        containerRuntimeVersion: o.runtimeVersion,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: o.host.architecture,
      },
    },
  };
}

/** The Ready condition, keeping lastTransitionTime when the status did not change. */
export function readyCondition(
  r: RuntimeReadiness,
  previous: NodeCondition | undefined,
  nowMs: number,
): NodeCondition {
  const status = r.ready ? 'True' : 'False';
  const now = rfc3339(nowMs);
  return {
    type: 'Ready',
    status,
    reason: r.ready ? 'KubeletReady' : 'KubeletNotReady',
    message: r.message,
    lastHeartbeatTime: now,
    lastTransitionTime:
      previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now,
  };
}

/** Reason and message of each pressure condition, True and False, as upstream's node status setters. */
const PRESSURE_CONDITIONS: ReadonlyArray<
  readonly [PressureCondition, { True: readonly [string, string]; False: readonly [string, string] }]
> = [
  [
    'MemoryPressure',
    {
      True: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'],
      False: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    },
  ],
  [
    'DiskPressure',
    {
      True: ['KubeletHasDiskPressure', 'kubelet has disk pressure'],
      False: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    },
  ],
  [
    'PIDPressure',
    {
      True: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'],
      False: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    },
  ],
];

/** The three pressure conditions, keeping lastTransitionTime when a status did not change. */
export function pressureConditions(
  state: NodePressureState,
  previous: NodeCondition[] | undefined,
  nowMs: number,
): NodeCondition[] {
  const now = rfc3339(nowMs);
  return PRESSURE_CONDITIONS.map(([type, texts]) => {
    const status = state[type] ? 'True' : 'False';
    const [reason, message] = texts[status];
    const prev = previous?.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    };
  });
}

/** The Event reason upstream records when a pressure condition turns to `status`. */
const PRESSURE_EVENTS: Record<PressureCondition, { True: string; False: string }> = {
  MemoryPressure: { True: 'NodeHasInsufficientMemory', False: 'NodeHasSufficientMemory' },
  DiskPressure: { True: 'NodeHasDiskPressure', False: 'NodeHasNoDiskPressure' },
  PIDPressure: { True: 'NodeHasInsufficientPID', False: 'NodeHasSufficientPID' },
};

const samePressure = (a: NodePressureState, b: NodePressureState): boolean =>
  PRESSURE_CONDITIONS.every(([type]) => a[type] === b[type]);

/**
 * Registers the Node (create, or take over an existing one) and keeps its status current:
 * `sync()` rewrites nodes/status when readiness or a pressure condition changed, or the
 * heartbeat is due.
 */
export class NodeRegistration {
  private lastWritten:
    | { ready: boolean; message: string; at: number; pressure: NodePressureState }
    | undefined;
  private pressure: NodePressureState = { ...NO_PRESSURE };
  private readonly now: () => number;

  constructor(private readonly o: NodeRegistrationOptions) {
    this.now = o.now ?? Date.now;
  }

  async sync(): Promise<void> {
    const r = await runtimeReadiness(this.o.cri, this.o.network);
    if (this.o.pressure) {
      // An unmeasurable signal keeps the last state: a conditions flip needs a measurement.
      this.pressure = await this.o.pressure.sync().catch((e) => {
        this.o.log.warn({ err: e }, 'node pressure check failed');
        return this.pressure;
      });
    }
    const pressure = this.pressure;
    const at = this.now();
    const last = this.lastWritten;
    if (
      last &&
      last.ready === r.ready &&
      last.message === r.message &&
      samePressure(last.pressure, pressure) &&
      at - last.at < HEARTBEAT_MS
    )
      return;
    const desired = desiredNode({ ...this.o, runtimeVersion: r.runtimeVersion });
    // Controllers write the Node too (taints, podCIDR): on a conflict, read it again and retry.
    let turned: NodeCondition[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        turned = await this.write(desired, r, pressure, at);
        break;
      } catch (e) {
        if (attempt >= 3 || !isStatusError(e, 'Conflict')) throw e;
      }
    }
    if (!last || last.ready !== r.ready)
      this.o.log.info(
        { node: this.o.nodeName, ready: r.ready, message: r.message },
        'node readiness changed',
      );
    this.lastWritten = { ready: r.ready, message: r.message, at, pressure };
    for (const c of turned) {
      const reason = PRESSURE_EVENTS[c.type as PressureCondition][c.status === 'True' ? 'True' : 'False'];
      this.o.events?.event(
        { kind: 'Node', name: this.o.nodeName, uid: this.o.nodeName, namespace: '' },
        'Normal',
        reason,
        `Node ${this.o.nodeName} status is now: ${reason}`,
      );
    }
  }

  private async write(
    desired: Node,
    r: RuntimeReadiness,
    pressure: NodePressureState,
    at: number,
  ): Promise<NodeCondition[]> {
    let current: Node;
    try {
      current = await this.o.api.get<Node>(NODES, this.o.nodeName);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      try {
        current = await this.o.api.create<Node>(NODES, desired);
        this.o.log.info({ node: this.o.nodeName }, 'node registered');
      } catch (ce) {
        if (!isStatusError(ce, 'AlreadyExists')) throw ce;
        current = await this.o.api.get<Node>(NODES, this.o.nodeName);
      }
    }
    const prevReady = current.status?.conditions?.find((c) => c.type === 'Ready');
    const pressures = pressureConditions(pressure, current.status?.conditions, at);
    const others = (current.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    const status: NodeStatus = {
      ...current.status,
      ...desired.status,
      nodeInfo: {
        ...(desired.status?.nodeInfo ?? current.status?.nodeInfo ?? ({} as never)),
        containerRuntimeVersion: r.runtimeVersion || current.status?.nodeInfo?.containerRuntimeVersion || '',
      },
      conditions: [
        ...others.filter((c) => !PRESSURE_CONDITIONS.some(([type]) => type === c.type)),
        ...pressures,
        readyCondition(r, prevReady, at),
      ],
    };
    const labels = { ...current.metadata?.labels, ...desired.metadata?.labels };
    if (JSON.stringify(labels) !== JSON.stringify(current.metadata?.labels ?? {})) {
      current = await this.o.api.update<Node>(NODES, {
        ...current,
        metadata: { ...current.metadata, labels },
      });
    }
    await this.o.api.updateStatus<Node>(NODES, { ...current, status });
    // The pressure conditions whose status this write changed.
    return pressures.filter(
      (c) => current.status?.conditions?.find((p) => p.type === c.type)?.status !== c.status,
    );
  }
}
