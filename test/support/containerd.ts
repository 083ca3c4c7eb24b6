import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CriClient } from '../../shim/index.js';
import { buildBusyboxImage, PAUSE_ENTRYPOINT, PAUSE_IMAGE } from './busybox-image.js';

const run = promisify(execFile);
const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const CNI_BIN = '/usr/lib/cni';

export interface TestContainerd {
  /** Path of the CRI/containerd gRPC socket. */
  socket: string;
  /** `unix://<socket>` */
  endpoint: string;
  /** Temp dir holding root, state, sockets, config and logs. */
  root: string;
  /** cgroup parent for pods of this instance (`/skiff-test-<id>`), removed by stop(). */
  cgroupRoot: string;
  /** CNI conf_dir of this containerd (holds a loopback-only conflist at start, unless disabled). */
  cniConfDir: string;
  /** The local pause image configured as sandbox_image (already imported). */
  pauseImage: string;
  /** Removes all sandboxes, stops containerd and its shims, unmounts and deletes the temp dir. */
  stop(): Promise<void>;
  /** SIGTERM, wait for exit, start again on the same root (containers keep running in their shims). */
  restart(): Promise<void>;
  /** Only the SIGTERM half of restart(): containerd is down until start(). */
  terminate(): Promise<void>;
  /** Starts containerd again after terminate(). */
  start(): Promise<void>;
  /** `ctr -n k8s.io images import`; checks that `name` is then present. */
  importImage(tarPath: string, name: string): Promise<void>;
  /** Lets CRI pulls reach `host` (e.g. 127.0.0.1:5000) over plain HTTP (certs.d hosts.toml). */
  allowPlainHttpRegistry(host: string): Promise<void>;
  /** Tail of containerd's log, for failure messages. */
  log(): Promise<string>;
}

const live = new Set<ChildProcess>();
let exitHook = false;
function track(c: ChildProcess): void {
  live.add(c);
  c.once('exit', () => live.delete(c));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function config(root: string, socket: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${root}/root"
state = "${root}/state"
oom_score = 0

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${root}/containerd-ttrpc.sock"

[debug]
  level = "warn"

[plugins."io.containerd.internal.v1.opt"]
  path = "${root}/opt"

[${cri}]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "${root}/runc"

[${cri}.registry]
  config_path = "${root}/certs.d"

[${cri}.cni]
  bin_dir = "${CNI_BIN}"
  conf_dir = "${root}/cni/net.d"
`;
}

/** Only loopback: pods get a private network namespace with `lo`, and CNI counts as initialised. */
const LOOPBACK_CONFLIST = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'skiff-test-loopback',
  plugins: [{ type: 'loopback' }],
});

async function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return true;
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** PIDs whose command line mentions `needle` (containerd's shims carry `-address <socket>`). */
async function pidsMentioning(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (cmd.some((a) => a.includes(needle)) && cmd[0]?.includes('containerd-shim')) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function unmountUnder(dir: string): Promise<void> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  const points = lines
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    await run('umount', ['-l', p]).catch(() => undefined);
  }
}

async function removeCgroupTree(path: string): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(path, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return;
  }
  for (const e of entries) await removeCgroupTree(join(path, e));
  await rmdir(path).catch(() => undefined);
}

/** Starts /usr/bin/containerd with a private root, state, sockets and CRI config in a temp dir. */
export interface TestContainerdOptions {
  /**
   * Run containerd inside this existing network namespace (`/run/netns/<name>`), as a
   * node of a multi-node test; via nsenter, which keeps /sys/fs/cgroup visible.
   */
  netns?: string;
  /**
   * Write the loopback-only conflist at start (default true). Without it the runtime's
   * NetworkReady is false until someone (the kubelet) writes a CNI config into cniConfDir.
   */
  loopbackConflist?: boolean;
}

export async function startTestContainerd(opts: TestContainerdOptions = {}): Promise<TestContainerd> {
  for (const bin of [CONTAINERD, CTR, '/usr/sbin/runc'])
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: install containerd and runc (scripts/host-packages.sh)`);
  if (!existsSync(join(CNI_BIN, 'loopback')))
    throw new Error(
      `${CNI_BIN}/loopback is missing: install containernetworking-plugins (scripts/host-packages.sh)`,
    );
  const root = await mkdtemp(join(tmpdir(), 'skiff-ctrd-'));
  const id = root.slice(root.lastIndexOf('-') + 1);
  const socket = join(root, 'containerd.sock');
  const cgroupRoot = `/skiff-test-${id}`;
  const configPath = join(root, 'config.toml');
  const logPath = join(root, 'containerd.log');
  await mkdir(join(root, 'cni', 'net.d'), { recursive: true });
  if (opts.loopbackConflist !== false)
    await writeFile(join(root, 'cni', 'net.d', '10-loopback.conflist'), LOOPBACK_CONFLIST);
  await writeFile(configPath, config(root, socket));

  let child: ChildProcess | undefined;
  const log = async () => (await readFile(logPath, 'utf8').catch(() => '')).slice(-4000);

  const launch = async () => {
    await rm(socket, { force: true });
    const fd = openSync(logPath, 'a');
    const argv = ['--config', configPath];
    const c = opts.netns
      ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, CONTAINERD, ...argv], {
          stdio: ['ignore', fd, fd],
        })
      : spawn(CONTAINERD, argv, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child = c;
    track(c);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`test containerd exited (${c.exitCode ?? c.signalCode}):\n${await log()}`);
      if (existsSync(socket)) {
        const ok = await run(CTR, ['-a', socket, 'version'], { timeout: 5000 }).then(
          () => true,
          () => false,
        );
        if (ok) return;
      }
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`test containerd not ready on ${socket} in 20s:\n${await log()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const terminate = async () => {
    const c = child;
    if (!c) return;
    c.kill('SIGTERM');
    if (!(await waitExit(c, 10_000))) {
      c.kill('SIGKILL');
      await waitExit(c, 5_000);
    }
  };

  const importImage = async (tarPath: string, name: string) => {
    try {
      await run(CTR, ['-a', socket, '-n', 'k8s.io', 'images', 'import', tarPath], { timeout: 60_000 });
    } catch (e) {
      throw new Error(`ctr images import ${tarPath} failed: ${(e as { stderr?: string }).stderr ?? e}`);
    }
    const { stdout } = await run(CTR, ['-a', socket, '-n', 'k8s.io', 'images', 'ls', '-q']);
    if (!stdout.split('\n').includes(name))
      throw new Error(`after importing ${tarPath}, image ${name} is missing; images:\n${stdout}`);
  };

  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const cri = new CriClient({ endpoint: `unix://${socket}`, timeoutMs: 20_000 });
      try {
        for (const p of await cri.runtime.listPodSandbox()) {
          await cri.runtime.stopPodSandbox(p.id).catch(() => undefined);
          await cri.runtime.removePodSandbox(p.id).catch(() => undefined);
        }
      } catch {
        // best effort: the processes are killed below anyway
      } finally {
        cri.close();
      }
    }
    await terminate();
    for (const pid of await pidsMentioning(socket)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await unmountUnder(root);
    for (const hierarchy of await readdir('/sys/fs/cgroup').catch(() => [] as string[]))
      await removeCgroupTree(join('/sys/fs/cgroup', hierarchy, cgroupRoot));
    await rm(root, { recursive: true, force: true });
  };

  try {
    await launch();
    const pauseTar = await buildBusyboxImage({
      name: PAUSE_IMAGE,
      entrypoint: PAUSE_ENTRYPOINT,
      outDir: root,
    });
    await importImage(pauseTar, PAUSE_IMAGE);
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    socket,
    endpoint: `unix://${socket}`,
    root,
    cgroupRoot,
    cniConfDir: join(root, 'cni', 'net.d'),
    pauseImage: PAUSE_IMAGE,
    stop,
    restart: async () => {
      await terminate();
      await launch();
    },
    terminate,
    start: launch,
    importImage,
    allowPlainHttpRegistry: async (host: string) => {
      const dir = join(root, 'certs.d', host);
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, 'hosts.toml'),
        `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`,
      );
    },
    log,
  };
}
