import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const DEFAULT_CONFIG_FILE = '/etc/skiff/config.yaml';

/** The daemons the config file configures; tools such as `skiff cri` and `skiff version` take none. */
const CONFIGURED_COMMANDS = new Set([
  'server',
  'apiserver',
  'scheduler',
  'controller-manager',
  'cloud-controller-manager',
  'kubelet',
  'proxy',
  'agent',
]);

/**
 * Expands `/etc/skiff/config.yaml` (or --config FILE) into flags placed before the command line's own,
 * so that flags on the command line win (precedence: default < config file < SKIFF_* env < flag).
 * Keys are long flag names. A missing default file is fine; a named one that is missing is an error.
 */
export function expandConfigFile(argv: string[]): string[] {
  const [command, ...rest] = argv;
  if (!command || !CONFIGURED_COMMANDS.has(command)) return argv;
  let path = DEFAULT_CONFIG_FILE;
  let named = false;
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--config') {
      path = rest[++i] ?? '';
      named = true;
    } else if (a.startsWith('--config=')) {
      path = a.slice('--config='.length);
      named = true;
    } else {
      args.push(a);
    }
  }
  if (!existsSync(path)) {
    if (named) throw new Error(`config file ${path} does not exist`);
    return [command, ...args];
  }
  const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (doc === null || doc === undefined) return [command, ...args];
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`config file ${path}: expected a mapping of flag names`);
  const fromFile: string[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v === 'boolean') fromFile.push(v ? `--${key}` : `--no-${key}`);
      else fromFile.push(`--${key}=${String(v)}`);
    }
  }
  return [command, ...fromFile, ...args];
}
