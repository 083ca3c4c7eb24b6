import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchRow {
  metric: string;
  unit: string;
  value: number;
  raw?: number;
  ratio?: number;
  target?: string;
  met?: boolean;
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Resident set size of a process and its children, in MiB, from /proc. */
export function rssMiB(pid: number, withChildren = true): number {
  let kib = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) kib += Number(m[1]);
      if (!withChildren) return;
      for (const task of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)) {
        visit(Number(task));
      }
    } catch {
      // the process went away
    }
  };
  visit(pid);
  return kib / 1024;
}

export function printAndWrite(name: string, rows: BenchRow[]): void {
  const header = ['metric', 'unit', 'value', 'raw', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.metric,
    r.unit,
    String(r.value),
    r.raw === undefined ? '' : String(r.raw),
    r.ratio === undefined ? '' : `${r.ratio}x`,
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(`${fmt(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const l of lines) process.stdout.write(`${fmt(l)}\n`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    commit = 'unknown';
  }
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ name, date: new Date().toISOString(), node: process.version, commit, rows }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${file}\n`);
}
