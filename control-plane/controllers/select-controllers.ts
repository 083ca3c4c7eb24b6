import type { ControllerEntry } from './controller-context.js';

/**
 * Picks the entries `--controllers` names, as upstream: `*` turns on every default-on entry,
 * `name` turns one on, `-name` turns one off (winning over `*`). Result is ordered so that each
 * entry comes after the ones it requires. Throws on duplicates, unknown names, missing
 * requirements and cycles.
 */
export function selectControllers(
  entries: readonly ControllerEntry[],
  flags: readonly string[],
): ControllerEntry[] {
  const byName = new Map<string, ControllerEntry>();
  for (const e of entries) {
    for (const n of [e.name, ...(e.aliases ?? [])]) {
      if (byName.has(n)) throw new Error(`controller ${n} is registered twice`);
      byName.set(n, e);
    }
  }
  const resolve = (name: string): ControllerEntry => {
    const e = byName.get(name);
    if (!e) throw new Error(`"${name}" is not in the list of known controllers`);
    return e;
  };
  const on = new Set<ControllerEntry>();
  const off = new Set<ControllerEntry>();
  let star = false;
  for (const raw of flags.length === 0 ? ['*'] : flags) {
    const f = raw.trim();
    if (!f) continue;
    if (f === '*') star = true;
    else if (f.startsWith('-')) off.add(resolve(f.slice(1)));
    else on.add(resolve(f));
  }
  const chosen = entries.filter((e) => !off.has(e) && (on.has(e) || (star && e.defaultOn !== false)));
  const chosenNames = new Set(chosen.map((e) => e.name));
  const ordered: ControllerEntry[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (e: ControllerEntry, path: string[]): void => {
    const s = state.get(e.name);
    if (s === 'done') return;
    if (s === 'visiting')
      throw new Error(`controllers require each other in a cycle: ${[...path, e.name].join(' -> ')}`);
    state.set(e.name, 'visiting');
    for (const r of e.requires ?? []) {
      const dep = resolve(r);
      if (!chosenNames.has(dep.name))
        throw new Error(`controller ${e.name} requires ${dep.name}, which is disabled`);
      visit(dep, [...path, e.name]);
    }
    state.set(e.name, 'done');
    ordered.push(e);
  };
  for (const e of chosen) visit(e, []);
  return ordered;
}
