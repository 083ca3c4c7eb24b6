import { parse } from 'yaml';
import { SkiffError } from '../../api/errors.js';
import { type PluginFactory, staticHandle } from './framework.js';
import { DEFAULT_SCHEDULER_NAME, defaultProfile, type Profile } from './profile.js';

interface PluginRef {
  name?: unknown;
  weight?: unknown;
}

interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

function configError(message: string): SkiffError {
  return new SkiffError('SKIFF_SCHEDULER_CONFIG_INVALID', `scheduler config: ${message}`);
}

function refs(set: PluginSet | undefined, field: 'enabled' | 'disabled', where: string): PluginRef[] {
  const list = set?.[field];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw configError(`${where}.${field} must be a list`);
  for (const r of list) {
    if (!r || typeof r.name !== 'string' || !r.name)
      throw configError(`${where}.${field}: each entry needs a name`);
  }
  return list;
}

function nameOf(r: PluginRef): string {
  return r.name as string;
}

/**
 * Reads the subset of KubeSchedulerConfiguration skiff honours: percentageOfNodesToScore and
 * the first profile's schedulerName and plugins (filter, score and multiPoint enabled/disabled,
 * score weights). Plugin names not in the registry are an error.
 */
export function parseSchedulerConfig(
  text: string,
  registry: Readonly<Record<string, PluginFactory>>,
): Profile {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw configError(`not valid YAML: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError('expected a mapping');
  if (doc.kind !== undefined && doc.kind !== 'KubeSchedulerConfiguration')
    throw configError(`kind must be KubeSchedulerConfiguration, not ${String(doc.kind)}`);
  const profiles = (doc.profiles ?? []) as Record<string, unknown>[];
  if (!Array.isArray(profiles)) throw configError('profiles must be a list');
  const p = profiles[0] ?? {};
  const profile = defaultProfile(
    typeof p.schedulerName === 'string' ? p.schedulerName : DEFAULT_SCHEDULER_NAME,
  );
  const pct = doc.percentageOfNodesToScore;
  if (pct !== undefined) {
    if (typeof pct !== 'number' || pct < 0 || pct > 100)
      throw configError('percentageOfNodesToScore must be a number from 0 to 100');
    profile.percentageOfNodesToScore = pct;
  }
  const plugins = (p.plugins ?? {}) as Record<string, PluginSet>;
  const check = (name: string, where: string): void => {
    if (name !== '*' && !registry[name])
      throw configError(`${where}: unknown plugin "${name}" (known: ${Object.keys(registry).join(', ')})`);
  };
  const apply = (set: PluginSet | undefined, where: string, filters: boolean, scores: boolean): void => {
    const disabled = refs(set, 'disabled', where).map(nameOf);
    const enabled = refs(set, 'enabled', where);
    for (const d of disabled) check(d, `${where}.disabled`);
    for (const e of enabled) check(nameOf(e), `${where}.enabled`);
    const off = (n: string): boolean => disabled.includes('*') || disabled.includes(n);
    if (filters) profile.filters = profile.filters.filter((n) => !off(n));
    if (scores) profile.scores = profile.scores.filter((s) => !off(s.name));
    for (const e of enabled) {
      const name = nameOf(e);
      const instance = registry[name](staticHandle());
      if (filters && instance.filter && !profile.filters.includes(name)) profile.filters.push(name);
      if (scores && instance.score) {
        if (
          e.weight !== undefined &&
          (typeof e.weight !== 'number' || !Number.isInteger(e.weight) || e.weight < 1)
        )
          throw configError(`${where}.enabled: weight of ${name} must be a positive integer`);
        const weight = (e.weight as number | undefined) ?? 1;
        const existing = profile.scores.find((s) => s.name === name);
        if (existing) existing.weight = e.weight === undefined ? existing.weight : weight;
        else profile.scores.push({ name, weight });
      } else if (scores && !filters && !instance.score) {
        throw configError(`${where}.enabled: plugin "${name}" has no score extension point`);
      }
    }
  };
  apply(plugins.multiPoint, 'plugins.multiPoint', true, true);
  apply(plugins.filter, 'plugins.filter', true, false);
  apply(plugins.score, 'plugins.score', false, true);
  for (const key of Object.keys(plugins)) {
    if (
      ![
        'multiPoint',
        'filter',
        'score',
        'preFilter',
        'postFilter',
        'preScore',
        'reserve',
        'permit',
        'preBind',
        'bind',
        'postBind',
        'queueSort',
      ].includes(key)
    )
      throw configError(`plugins.${key} is not an extension point`);
  }
  return profile;
}
