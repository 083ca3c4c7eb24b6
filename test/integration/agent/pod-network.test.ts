import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import type { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import type { TestContainerd } from '../../support/containerd.js';
import { poller } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';

const run = promisify(execFile);
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

// Unique per run: the node namespace, the bridge (max 15 chars) and the pod CIDR inside it.
const ID = randomBytes(3).toString('hex');
const NETNS = `skpn-${ID}`;
const BRIDGE = `skpn${ID}`;
const NODE = `pod-network-${ID}`;
const NODE_IP = '127.0.0.1';
const OCTET = 100 + (parseInt(ID.slice(0, 2), 16) % 100);
const POD_CIDR = `10.${OCTET}.7.0/24`;
const GATEWAY = `10.${OCTET}.7.1`;
const CLUSTER_DNS = '10.96.0.10';
const CONF_FILE = '10-skiff.conflist';
const HOST_PORT = 30000 + (parseInt(ID, 16) % 20000);

let h: KubeletHarness;
let ctrd: TestContainerd;
let api: ApiClient;
let cri: CriClient;
let tmp: string;
let netnsMade = false;

const eventually = poller({ timeoutMs: 20_000 });

/** A command inside the node's network namespace (nsenter keeps the mounts, so /bin/busybox is there). */
function inNode(args: string[], timeout = 10_000) {
  return run('nsenter', [`--net=/run/netns/${NETNS}`, ...args], { timeout });
}

const getPod = (name: string) => api.get<Pod>(PODS, name, { namespace: 'default' });
const readyOf = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');

function pod(name: string, spec: Partial<NonNullable<Pod['spec']>>, command: string[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command }],
      ...spec,
    },
  };
}

async function runningPod(name: string): Promise<Pod> {
  return eventually(
    `${name} Running`,
    async () => {
      const p = await getPod(name);
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
    },
    30_000,
  );
}

async function exec(p: Pod, cmd: string[]): Promise<{ code: number; out: string }> {
  const id = p.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '') ?? '';
  const r = await cri.runtime.execSync({ containerId: id, cmd, timeout: 20 }, { timeoutMs: 30_000 });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

/** iptables rules and chains of the node namespace (the CNI plugins' work). */
async function natRules(): Promise<string> {
  const [nat, filter] = await Promise.all([
    inNode(['iptables', '-t', 'nat', '-S']),
    inNode(['iptables', '-t', 'filter', '-S']),
  ]);
  return nat.stdout + filter.stdout;
}

beforeAll(async () => {
  await run('ip', ['netns', 'add', NETNS]);
  netnsMade = true;
  await inNode(['ip', 'link', 'set', 'lo', 'up']);
  h = await startKubeletHarness({
    name: 'pod-network',
    nodeName: NODE,
    nodeIP: NODE_IP,
    containerd: { netns: NETNS, loopbackConflist: false },
    startKubelet: false,
    kubelet: () => ({
      // The default 10 s: the node must turn Ready on the network change itself, not on a poll.
      clusterDNS: [CLUSTER_DNS],
      resolvConf: join(tmp, 'resolv.conf'),
      cniConfDir: ctrd.cniConfDir,
      cniConfFile: CONF_FILE,
      cniBridge: BRIDGE,
      cniIpamDataDir: join(tmp, 'ipam'),
    }),
  });
  ({ ctrd, api, cri, dir: tmp } = h);
  await writeFile(join(tmp, 'resolv.conf'), 'nameserver 192.0.2.53\nsearch host.example\noptions edns0\n');
  h.startKubelet();
}, 90_000);

afterAll(async () => {
  // containerd's stop() removes the sandboxes (CNI DEL) before the conflist goes.
  await h?.close();
  if (netnsMade) await run('ip', ['netns', 'delete', NETNS]).catch(() => undefined);
}, 60_000);

describe('pod networking through CNI', () => {
  it('keeps the node NotReady and pod-network pods waiting until the node has a pod CIDR', async () => {
    const node = await eventually('node registered NotReady', async () => {
      const n = await api.get<Node>(NODES, NODE);
      return readyOf(n)?.status === 'False' ? n : undefined;
    });
    expect(readyOf(node)?.message).toMatch(
      /^container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:/,
    );
    expect(existsSync(join(ctrd.cniConfDir, CONF_FILE))).toBe(false);
    // The runtime agrees: no CNI config, no network.
    const status = await cri.runtime.status();
    expect(status.status?.conditions.find((c) => c.type === 'NetworkReady')?.status).toBe(false);

    await api.create<Pod>(PODS, pod('waits', {}, ['sleep', '1000']));
    await api.create<Pod>(PODS, pod('on-host', { hostNetwork: true }, ['sleep', '1000']));
    const host = await runningPod('on-host');
    expect(host.status?.podIP).toBe(NODE_IP);
    const waiting = await eventually('waits Pending', async () => {
      const p = await getPod('waits');
      return p.status?.containerStatuses?.[0]?.state?.waiting ? p : undefined;
    });
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(waiting.status?.podIP).toBeUndefined();
    expect(
      await cri.runtime.listPodSandbox({
        labelSelector: { 'io.kubernetes.pod.uid': waiting.metadata?.uid ?? '' },
      }),
    ).toEqual([]);

    // The node IPAM controller's part, done by hand: the API server runs without controllers.
    await api.patch<Node>(NODES, NODE, { spec: { podCIDR: POD_CIDR, podCIDRs: [POD_CIDR] } }, 'merge');
    const ready = await eventually(
      'node Ready',
      async () => {
        const n = await api.get<Node>(NODES, NODE);
        return readyOf(n)?.status === 'True' ? n : undefined;
      },
      6000,
    );
    expect(readyOf(ready)?.reason).toBe('KubeletReady');
    const conflist = JSON.parse(await readFile(join(ctrd.cniConfDir, CONF_FILE), 'utf8'));
    expect(conflist.plugins.map((p: { type: string }) => p.type)).toEqual(['bridge', 'portmap', 'loopback']);
    expect(conflist.plugins[0]).toMatchObject({
      bridge: BRIDGE,
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], dataDir: join(tmp, 'ipam') },
    });

    const started = await runningPod('waits');
    expect(started.status?.podIP).toMatch(new RegExp(`^10\\.${OCTET}\\.7\\.\\d+$`));
    expect(started.status?.podIPs).toEqual([{ ip: started.status?.podIP }]);
    expect(started.status?.hostIP).toBe(NODE_IP);
    // The host-network pod kept running and its address throughout.
    expect((await getPod('on-host')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
  }, 60_000);

  it('gives two pods distinct IPs in the pod CIDR that reach each other, with cluster DNS and their hostname', async () => {
    await api.create<Pod>(
      PODS,
      pod('web', { hostname: 'www', subdomain: 'site' }, [
        'sh',
        '-c',
        'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www',
      ]),
    );
    await api.create<Pod>(PODS, pod('client', {}, ['sleep', '1000']));
    const [web, client] = await Promise.all([runningPod('web'), runningPod('client')]);
    const webIP = web.status?.podIP ?? '';
    const clientIP = client.status?.podIP ?? '';
    expect(webIP).toMatch(new RegExp(`^10\\.${OCTET}\\.7\\.\\d+$`));
    expect(clientIP).toMatch(new RegExp(`^10\\.${OCTET}\\.7\\.\\d+$`));
    expect(new Set([webIP, clientIP, (await getPod('waits')).status?.podIP]).size).toBe(3);

    const got = await eventually('client fetches from web', async () => {
      const r = await exec(client, ['timeout', '5', 'wget', '-q', '-O-', `http://${webIP}:8080/`]);
      return r.code === 0 ? r.out : undefined;
    });
    expect(got.trim()).toBe('hello-from-web');
    // The pod's own address is on its eth0.
    expect((await exec(client, ['ip', '-4', 'addr', 'show', 'eth0'])).out).toContain(`${clientIP}/24`);

    const resolv = (await exec(client, ['cat', '/etc/resolv.conf'])).out;
    expect(resolv).toMatch(new RegExp(`nameserver ${CLUSTER_DNS.replaceAll('.', '\\.')}`));
    expect(resolv).not.toContain('192.0.2.53');
    expect(resolv).toMatch(
      /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local host\.example/,
    );
    expect(resolv).toMatch(/options ndots:5/);
    expect((await exec(client, ['hostname'])).out.trim()).toBe('client');
    expect((await exec(web, ['hostname'])).out.trim()).toBe('www');
  }, 60_000);

  it('applies dnsPolicy Default and None with dnsConfig', async () => {
    await api.create<Pod>(PODS, pod('dns-default', { dnsPolicy: 'Default' }, ['sleep', '1000']));
    await api.create<Pod>(
      PODS,
      pod(
        'dns-none',
        {
          dnsPolicy: 'None',
          dnsConfig: {
            nameservers: ['192.0.2.99'],
            searches: ['a.example'],
            options: [{ name: 'ndots', value: '2' }],
          },
        },
        ['sleep', '1000'],
      ),
    );
    const [def, none] = await Promise.all([runningPod('dns-default'), runningPod('dns-none')]);
    const defResolv = (await exec(def, ['cat', '/etc/resolv.conf'])).out;
    expect(defResolv).toContain('nameserver 192.0.2.53');
    expect(defResolv).toMatch(/search host\.example/);
    expect(defResolv).toMatch(/options edns0/);
    const noneResolv = (await exec(none, ['cat', '/etc/resolv.conf'])).out;
    expect(noneResolv).toContain('nameserver 192.0.2.99');
    expect(noneResolv).not.toContain(CLUSTER_DNS);
    expect(noneResolv).toMatch(/search a\.example/);
    expect(noneResolv).toMatch(/options ndots:2/);
  }, 60_000);

  it('forwards a hostPort on the node addresses to the pod', async () => {
    const web = pod('hostport', {}, [
      'sh',
      '-c',
      'mkdir -p /www && echo via-hostport > /www/index.html && exec httpd -f -p 8080 -h /www',
    ]);
    const c = web.spec?.containers[0];
    if (c) c.ports = [{ containerPort: 8080, hostPort: HOST_PORT }];
    await api.create<Pod>(PODS, web);
    await runningPod('hostport');
    for (const addr of ['127.0.0.1', GATEWAY]) {
      const body = await eventually(`hostPort on ${addr}`, async () => {
        const r = await inNode([
          '/bin/busybox',
          'timeout',
          '5',
          '/bin/busybox',
          'wget',
          '-q',
          '-O-',
          `http://${addr}:${HOST_PORT}/`,
        ]).catch(() => undefined);
        return r?.stdout;
      });
      expect(body.trim()).toBe('via-hostport');
    }
    // From another pod, through the node's address on the bridge (DNAT and back over the bridge).
    const client = await getPod('client');
    const fromPod = await eventually('hostPort from a pod', async () => {
      const r = await exec(client, ['timeout', '5', 'wget', '-q', '-O-', `http://${GATEWAY}:${HOST_PORT}/`]);
      return r.code === 0 ? r.out : undefined;
    });
    expect(fromPod.trim()).toBe('via-hostport');
    expect(await natRules()).toContain(`--dport ${HOST_PORT}`);
  }, 60_000);

  it('keeps the node Ready and the pods with their IPs across a kubelet restart', async () => {
    const before = await api.get<Node>(NODES, NODE);
    const web = await getPod('web');
    const stopped = h.kubelet;
    await h.stopKubelet();
    await stopped;
    h.startKubelet();
    // Long enough for the restarted kubelet to write the Node and sync the pods.
    await new Promise((r) => setTimeout(r, 2500));
    const after = await api.get<Node>(NODES, NODE);
    expect(readyOf(after)?.status).toBe('True');
    expect(readyOf(after)?.lastTransitionTime).toBe(readyOf(before)?.lastTransitionTime);
    const again = await getPod('web');
    expect(again.status?.podIP).toBe(web.status?.podIP);
    expect(again.status?.containerStatuses?.[0]?.containerID).toBe(
      web.status?.containerStatuses?.[0]?.containerID,
    );
  }, 30_000);

  it('removes the per-pod iptables rules and IP leases when the pods are deleted', async () => {
    const pods = (await api.list<Pod>(PODS, { namespace: 'default' })).items;
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods)
      await api.delete(PODS, p.metadata?.name ?? '', { namespace: 'default', gracePeriodSeconds: 0 });
    await eventually(
      'all sandboxes removed',
      async () => ((await cri.runtime.listPodSandbox()).length === 0 ? true : undefined),
      30_000,
    );
    const rules = await natRules();
    // Per-sandbox chains: CNI-<hash> (ipMasq) and CNI-DN-<hash> (portmap DNAT); the shared CNI-HOSTPORT-* chains stay.
    expect(
      rules.split('\n').filter((l) => /CNI-(?!HOSTPORT)/.test(l) && !/CNI-FORWARD|CNI-ADMIN/.test(l)),
    ).toEqual([]);
    expect(rules).not.toContain(`--dport ${HOST_PORT}`);
    expect(rules).not.toContain(`10.${OCTET}.7.`);
    const leases = (await readdir(join(tmp, 'ipam', `skiff-${BRIDGE}`)).catch(() => [] as string[])).filter(
      (f) => /^\d/.test(f),
    );
    expect(leases).toEqual([]);
  }, 60_000);
});
