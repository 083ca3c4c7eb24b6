import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const TOOLS = [
  'ip',
  'nft',
  'iptables',
  'iptables-restore',
  'iptables-save',
  'nsenter',
  'busybox',
  'curl',
  'conntrack',
  'bash',
];
const DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Fails (never skips) when the kernel tools or root are missing: these tests need them. */
export function requirePrerequisites(): void {
  const missing = TOOLS.filter((t) => !DIRS.some((d) => existsSync(join(d, t))));
  if (missing.length > 0)
    throw new Error(`proxy integration tests need ${missing.join(', ')} (scripts/host-packages.sh)`);
  if (process.getuid?.() !== 0) throw new Error('proxy integration tests need root (network namespaces)');
}

export async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function inNs(ns: string, cmd: string, args: string[]): Promise<string> {
  return sh('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args]);
}

export interface Pod {
  ns: string;
  name: string;
  ip: string;
}

/**
 * A client namespace routed through a node namespace, whose bridge holds backend "pod"
 * namespaces each serving `/` (its name) and `/cgi-bin/ip` (the caller's address) with busybox
 * httpd on port 80. All addresses live in these namespaces; nothing leaves them.
 */
export class NetnsLab {
  readonly id = Math.random().toString(36).slice(2, 8);
  readonly client = `skc-${this.id}`;
  readonly node = `skn-${this.id}`;
  readonly clientIP = '192.168.77.2';
  /** The node's address on the client link: where NodePorts are reached. */
  readonly nodeIP = '192.168.77.1';
  readonly bridgeIP = '10.244.1.1';
  readonly pods: Pod[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly relays: Server[] = [];
  private readonly namespaces: string[] = [];
  private dir = '';

  async setup(podCount: number): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'skiff-proxy-lab-'));
    await this.addNs(this.client);
    await this.addNs(this.node);
    const n = (args: string[]) => inNs(this.node, 'ip', args);
    await n(['link', 'add', 'to-client', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.client]);
    await n(['addr', 'add', `${this.nodeIP}/24`, 'dev', 'to-client']);
    await n(['link', 'set', 'to-client', 'up']);
    await inNs(this.client, 'ip', ['addr', 'add', `${this.clientIP}/24`, 'dev', 'eth0']);
    await inNs(this.client, 'ip', ['link', 'set', 'eth0', 'up']);
    await inNs(this.client, 'ip', ['route', 'add', 'default', 'via', this.nodeIP]);
    await n(['link', 'add', 'br0', 'type', 'bridge']);
    await n(['addr', 'add', `${this.bridgeIP}/24`, 'dev', 'br0']);
    await n(['link', 'set', 'br0', 'up']);
    // Service addresses without endpoints are routed somewhere local, so that the forward hook
    // (and its reject rule) sees them instead of a routing failure.
    await n(['link', 'add', 'svc0', 'type', 'veth', 'peer', 'name', 'svc1']);
    await n(['link', 'set', 'svc0', 'up']);
    await n(['link', 'set', 'svc1', 'up']);
    await n(['route', 'add', '10.96.0.0/16', 'dev', 'svc0']);
    await inNs(this.node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    for (let i = 0; i < podCount; i++) await this.addPod(i);
  }

  private async addNs(name: string): Promise<void> {
    await sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
  }

  private async addPod(i: number): Promise<void> {
    const pod: Pod = { ns: `skp${i}-${this.id}`, name: `pod-${i}`, ip: `10.244.1.${10 + i}` };
    await this.addNs(pod.ns);
    const port = `veth-p${i}`;
    await inNs(this.node, 'ip', [
      'link',
      'add',
      port,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      pod.ns,
    ]);
    await inNs(this.node, 'ip', ['link', 'set', port, 'master', 'br0']);
    await inNs(this.node, 'ip', ['link', 'set', port, 'type', 'bridge_slave', 'hairpin', 'on']);
    await inNs(this.node, 'ip', ['link', 'set', port, 'up']);
    await inNs(pod.ns, 'ip', ['addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
    await inNs(pod.ns, 'ip', ['link', 'set', 'eth0', 'up']);
    await inNs(pod.ns, 'ip', ['route', 'add', 'default', 'via', this.bridgeIP]);
    const www = join(this.dir, pod.name);
    await mkdir(join(www, 'cgi-bin'), { recursive: true });
    await writeFile(join(www, 'index.html'), pod.name);
    await writeFile(
      join(www, 'cgi-bin', 'ip'),
      '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s" "$REMOTE_ADDR"\n',
    );
    await chmod(join(www, 'cgi-bin', 'ip'), 0o755);
    const server = spawn(
      'nsenter',
      [`--net=/run/netns/${pod.ns}`, '--', 'busybox', 'httpd', '-f', '-p', '80', '-h', www],
      {
        stdio: 'ignore',
      },
    );
    this.servers.push(server);
    this.pods.push(pod);
    await this.waitServing(pod);
  }

  private async waitServing(pod: Pod): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const r = await this.curl(pod.ns, `http://${pod.ip}/`);
      if (r.body === pod.name) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`httpd in ${pod.ns} did not come up`);
  }

  /** One HTTP GET with curl inside `ns`: body, curl's exit code and elapsed time. */
  async curl(ns: string, url: string, timeoutS = 3): Promise<{ body: string; code: number; ms: number }> {
    const t0 = performance.now();
    try {
      const body = await inNs(ns, 'curl', ['-s', '--max-time', String(timeoutS), url]);
      return { body, code: 0, ms: performance.now() - t0 };
    } catch (e) {
      return { body: '', code: (e as { code?: number }).code ?? -1, ms: performance.now() - t0 };
    }
  }

  /** The address a backend saw the request come from, via its `/cgi-bin/ip`. */
  async sourceSeenBy(ns: string, url: string): Promise<string> {
    const { body } = await this.curl(ns, url);
    return body.replace(/^\[::ffff:(.*)\]$/, '$1');
  }

  /** Bodies of `n` requests from the client namespace. */
  async fetchMany(url: string, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await this.curl(this.client, url)).body);
    return out;
  }

  /**
   * Makes the host's 127.0.0.1:`port` answer as 127.0.0.1:`port` inside `ns` too (an API server
   * for a process running in the node namespace): a relay in the namespace hands each
   * connection over a unix socket, which crosses namespaces, to this process, which dials the port.
   */
  async relayLoopbackPort(ns: string, port: number): Promise<void> {
    const path = join(this.dir, `relay-${port}.sock`);
    const host = createServer((c) => {
      const up = connect(port, '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    this.relays.push(host);
    await new Promise<void>((resolve) => host.listen(path, resolve));
    const script = `const net = require('node:net');
const [port, path] = process.argv.slice(1);
net.createServer((c) => {
  const up = net.connect(path);
  c.pipe(up).pipe(c);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));`;
    const child = spawn(
      'nsenter',
      [`--net=/run/netns/${ns}`, '--', process.execPath, '-e', script, String(port), path],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.servers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`relay in ${ns} exited with ${code}`)));
    });
  }

  async teardown(): Promise<void> {
    for (const r of this.relays) r.close();
    for (const s of this.servers) s.kill('SIGKILL');
    for (const ns of this.namespaces.reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => {});
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
