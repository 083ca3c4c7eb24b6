import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { compareStrings } from '../../api/compare-strings.js';
import { DEFAULT_CRI_ENDPOINT } from '../../shim/endpoint.js';
import type { Container, CriClient, PodSandbox } from '../../shim/index.js';

/** Where `skiff cri` writes; tests pass their own. */
export interface CriCommandIO {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
}

const processIO: CriCommandIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
};

interface GlobalFlags {
  runtimeEndpoint: string;
  timeout: string;
}

/** Fixed-width columns separated by three spaces, like crictl. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/** "5 seconds ago", "3 minutes ago", from a CRI nanosecond timestamp. */
export function ago(nanos: string, nowMs: number): string {
  const ms = Number(BigInt(nanos || '0') / 1_000_000n);
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  const [n, unit] =
    s < 60
      ? [s, 'second']
      : s < 3600
        ? [Math.floor(s / 60), 'minute']
        : s < 86400
          ? [Math.floor(s / 3600), 'hour']
          : [Math.floor(s / 86400), 'day'];
  return n === 0 && unit === 'second' ? 'Just now' : `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

const short = (id: string) => id.slice(0, 13);
const stateName = (s: string) => s.replace(/^(SANDBOX_|CONTAINER_)/, '');

/** Human size with decimal units, like crictl ("2.1MB"). */
export function humanSize(bytes: string | number): string {
  let n = Number(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0).replace(/\.?0+$/, '')}${units[i]}`;
}

/**
 * The message parts of a CRI log file (`<RFC3339Nano> <stdout|stderr> <P|F> <message>`):
 * full lines get their newline back, partial ones are joined to what follows.
 */
export function parseCriLog(text: string): { stream: 'stdout' | 'stderr'; text: string }[] {
  const out: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const stream = line.slice(a + 1, b) === 'stderr' ? 'stderr' : 'stdout';
    const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
    const message = c < 0 ? '' : line.slice(c + 1);
    out.push({ stream, text: tag === 'P' ? message : `${message}\n` });
  }
  return out;
}

function resolveId<T extends { id: string }>(kind: string, items: T[], prefix: string): string {
  const exact = items.find((i) => i.id === prefix);
  if (exact) return exact.id;
  const matches = items.filter((i) => i.id.startsWith(prefix));
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new Error(`no ${kind} with an ID starting with ${prefix}`);
  throw new Error(`${matches.length} ${kind}s have IDs starting with ${prefix}; give more characters`);
}

async function containerId(cri: CriClient, prefix: string): Promise<string> {
  return resolveId('container', await cri.runtime.listContainers(), prefix);
}

function podRows(pods: PodSandbox[], now: number): string[][] {
  return [...pods]
    .sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : -1))
    .map((p) => [
      short(p.id),
      ago(p.createdAt, now),
      stateName(p.state),
      p.metadata?.name ?? '',
      p.metadata?.namespace ?? '',
      String(p.metadata?.attempt ?? 0),
      p.runtimeHandler || '(default)',
    ]);
}

function containerRows(cs: Container[], now: number): string[][] {
  return [...cs]
    .sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : -1))
    .map((c) => [
      short(c.id),
      c.image?.image ?? c.imageRef,
      ago(c.createdAt, now),
      stateName(c.state),
      c.metadata?.name ?? '',
      String(c.metadata?.attempt ?? 0),
      short(c.podSandboxId),
    ]);
}

/** `skiff cri`: a crictl-like debugging client over shim/. */
export function criCommand(io: CriCommandIO = processIO): Command {
  const cmd = new Command('cri')
    .description('inspect the container runtime through CRI (like crictl)')
    .addOption(
      new Option('-r, --runtime-endpoint <endpoint>', 'CRI socket')
        .env('CONTAINER_RUNTIME_ENDPOINT')
        .default(DEFAULT_CRI_ENDPOINT),
    )
    .addOption(new Option('--timeout <ms>', 'deadline of each CRI call').default('10000'));

  const withClient =
    <A extends unknown[]>(fn: (cri: CriClient, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const g = cmd.opts<GlobalFlags>();
      const { CriClient, CriError } = await import('../../shim/index.js');
      const cri = new CriClient({ endpoint: g.runtimeEndpoint, timeoutMs: Number(g.timeout) });
      try {
        await fn(cri, ...args);
      } catch (e) {
        io.err(`skiff cri: ${e instanceof CriError ? `${e.message} (${e.code})` : (e as Error).message}\n`);
        io.setExitCode(1);
      } finally {
        cri.close();
      }
    };

  cmd
    .command('info')
    .description('runtime version and status conditions')
    .action(
      withClient(async (cri) => {
        const [v, s] = await Promise.all([cri.runtime.version(), cri.runtime.status(true)]);
        const info: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(s.info)) {
          try {
            info[k] = JSON.parse(val);
          } catch {
            info[k] = val;
          }
        }
        io.out(
          `${JSON.stringify({ version: v, status: { conditions: s.status?.conditions ?? [] }, runtimeHandlers: s.runtimeHandlers, info }, null, 2)}\n`,
        );
      }),
    );

  cmd
    .command('pods')
    .description('list pod sandboxes')
    .action(
      withClient(async (cri) => {
        const pods = await cri.runtime.listPodSandbox();
        io.out(
          formatTable(
            ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'],
            podRows(pods, Date.now()),
          ),
        );
      }),
    );

  cmd
    .command('ps')
    .description('list running containers (-a: all)')
    .option('-a, --all', 'include exited and created containers')
    .option('-p, --pod <id>', 'only containers of this pod sandbox')
    .action(
      withClient(async (cri, flags: { all?: boolean; pod?: string }) => {
        const pod = flags.pod ? resolveId('pod', await cri.runtime.listPodSandbox(), flags.pod) : undefined;
        const cs = await cri.runtime.listContainers({
          podSandboxId: pod,
          state: flags.all ? null : { state: 'CONTAINER_RUNNING' },
        });
        io.out(
          formatTable(
            ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID'],
            containerRows(cs, Date.now()),
          ),
        );
      }),
    );

  cmd
    .command('images')
    .description('list images')
    .action(
      withClient(async (cri) => {
        const rows: string[][] = [];
        for (const img of await cri.images.listImages()) {
          const id = short(img.id.replace(/^sha256:/, ''));
          const tags = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
          for (const t of tags) {
            const i = t.lastIndexOf(':');
            rows.push([t.slice(0, i), t.slice(i + 1), id, humanSize(img.size)]);
          }
        }
        rows.sort((a, b) => compareStrings(a[0] + a[1], b[0] + b[1]));
        io.out(formatTable(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], rows));
      }),
    );

  cmd
    .command('pull <image>')
    .description('pull an image')
    .option('--creds <user:password>', 'registry credentials')
    .action(
      withClient(async (cri, image: string, flags: { creds?: string }) => {
        let auth = null;
        if (flags.creds) {
          const i = flags.creds.indexOf(':');
          auth =
            i < 0
              ? { username: flags.creds }
              : { username: flags.creds.slice(0, i), password: flags.creds.slice(i + 1) };
        }
        const ref = await cri.images.pullImage({ image: { image }, auth });
        io.out(`Image is up to date for ${ref}\n`);
      }),
    );

  cmd
    .command('inspect <container>')
    .description('container status (JSON)')
    .action(
      withClient(async (cri, prefix: string) => {
        const res = await cri.runtime.containerStatus(await containerId(cri, prefix), true);
        io.out(`${JSON.stringify(res, null, 2)}\n`);
      }),
    );

  cmd
    .command('inspectp <pod>')
    .description('pod sandbox status (JSON)')
    .action(
      withClient(async (cri, prefix: string) => {
        const id = resolveId('pod', await cri.runtime.listPodSandbox(), prefix);
        io.out(`${JSON.stringify(await cri.runtime.podSandboxStatus(id, true), null, 2)}\n`);
      }),
    );

  cmd
    .command('logs <container>')
    .description("print a container's log (from its CRI log file)")
    .option('--tail <n>', 'only the last n lines')
    .action(
      withClient(async (cri, prefix: string, flags: { tail?: string }) => {
        const res = await cri.runtime.containerStatus(await containerId(cri, prefix));
        const path = res.status?.logPath;
        if (!path) throw new Error(`container ${prefix} has no log path`);
        let parts = parseCriLog(await readFile(path, 'utf8'));
        if (flags.tail !== undefined) parts = parts.slice(-Number(flags.tail));
        for (const p of parts) (p.stream === 'stderr' ? io.err : io.out)(p.text);
      }),
    );

  cmd
    .command('exec <container> <cmd...>')
    .description('run a command in a container (ExecSync): skiff cri exec ID -- CMD ARGS...')
    .option('--timeout-seconds <s>', 'runtime-side timeout of the command', '0')
    .action(
      withClient(async (cri, prefix: string, argv: string[], flags: { timeoutSeconds: string }) => {
        const res = await cri.runtime.execSync({
          containerId: await containerId(cri, prefix),
          cmd: argv,
          timeout: Number(flags.timeoutSeconds),
        });
        if (res.stdout.length) io.out(res.stdout.toString());
        if (res.stderr.length) io.err(res.stderr.toString());
        if (res.exitCode !== 0) io.setExitCode(res.exitCode);
      }),
    );

  return cmd;
}
