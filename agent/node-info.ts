import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

/** Host facts the Node object reports. */
export interface HostFacts {
  cpus: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
}

export async function readHostFacts(rootDir = '/'): Promise<HostFacts> {
  const fs = await statfs(rootDir);
  return {
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    ephemeralStorageBytes: Number(fs.blocks) * Number(fs.bsize),
    kernelVersion: os.release(),
    osImage: await readOsImage(),
    architecture: goArch(process.arch),
  };
}

async function readOsImage(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  return m?.[1] ? m[1].replace(/^"(.*)"$/, '$1') : 'Linux';
}

/** Node's `process.arch` in Go's GOARCH spelling, as Kubernetes labels use it. */
export function goArch(arch: string): string {
  if (arch === 'x64') return 'amd64';
  if (arch === 'ia32') return '386';
  return arch;
}

/** The first non-internal IPv4 address of the host. */
export function firstHostIPv4(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
