import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest } from './errors.js';
import { isQualifiedName, isValidLabelValue } from './validation/name-rules.js';

/** A parsed label selector: a conjunction of requirements. */
export interface LabelMatcher {
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when the selector has no requirements and so selects everything. */
  readonly empty: boolean;
  toString(): string;
}

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Sorted, without duplicates. */
  values: string[];
}

class RequirementsMatcher implements LabelMatcher {
  constructor(readonly requirements: readonly LabelRequirement[]) {}

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | undefined): boolean {
    const set = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, set));
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** Selects nothing: what an invalid or nil object selector means for controllers. */
class NothingMatcher implements LabelMatcher {
  readonly empty = false;
  matches(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
}

export const EVERYTHING: LabelMatcher = new RequirementsMatcher([]);
export const NOTHING: LabelMatcher = new NothingMatcher();

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value as string);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const actual = BigInt(value as string);
      const bound = BigInt(r.values[0]);
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

// ---- the string syntax -------------------------------------------------------------------------

type TokenKind = 'id' | 'end' | ',' | '(' | ')' | '=' | '==' | '!=' | '!' | '>' | '<' | 'in' | 'notin';

interface Token {
  kind: TokenKind;
  text: string;
}

const SYMBOLS = ['!=', '==', '=', '!', '(', ')', ',', '>', '<'] as const;
const SPECIAL_CHARS = new Set(['!', '=', '(', ')', ',', '>', '<']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (SPECIAL_CHARS.has(c)) {
      const sym = SYMBOLS.find((s) => text.startsWith(s, i)) as string;
      tokens.push({ kind: sym as TokenKind, text: sym });
      i += sym.length;
      continue;
    }
    let j = i;
    while (j < text.length && !isSpace(text[j]) && !SPECIAL_CHARS.has(text[j])) j++;
    tokens.push({ kind: 'id', text: text.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

class SelectorParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  /** In value position `in`/`notin` are ordinary identifiers; after a key they are operators. */
  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private nextOperator(): Token {
    const t = this.next();
    if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) return { kind: t.text, text: t.text };
    return t;
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'end') return out;
      if (t.kind !== 'id' && t.kind !== '!') {
        throw new Error(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      }
      try {
        out.push(this.requirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      const sep = this.next();
      if (sep.kind === 'end') return out;
      if (sep.kind !== ',') throw new Error(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.peek();
      if (after.kind !== 'id' && after.kind !== '!') {
        throw new Error(`found '${after.text}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next();
    let negated = false;
    if (t.kind === '!') {
      negated = true;
      t = this.next();
    }
    if (t.kind !== 'id') throw new Error(`found '${t.text}', expected: identifier`);
    const key = t.text;
    checkKey(key, '<nil>');
    const following = this.peek().kind;
    if (negated) return { key, operator: '!', values: [] };
    if (following === 'end' || following === ',') return { key, operator: 'exists', values: [] };
    const op = this.nextOperator();
    switch (op.kind) {
      case 'in':
      case 'notin':
        return makeRequirement(key, op.kind, this.valueSet());
      case '=':
      case '==':
      case '!=':
        return makeRequirement(key, op.kind, [this.exactValue()]);
      case '>':
        return makeRequirement(key, 'gt', [this.exactValue()]);
      case '<':
        return makeRequirement(key, 'lt', [this.exactValue()]);
      default:
        throw new Error(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(): string {
    const t = this.peek();
    if (t.kind === 'end' || t.kind === ',') return '';
    this.next();
    if (t.kind === 'id') return t.text;
    throw new Error(`found '${t.text}', expected: identifier`);
  }

  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw new Error(`found '${open.text}', expected: '('`);
    const first = this.peek();
    if (first.kind === ')') {
      this.next();
      return [''];
    }
    if (first.kind !== 'id' && first.kind !== ',') {
      throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
    }
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'id') {
        if (!expectValue) throw new Error(`found '${t.text}', expected: ',' or ')'`);
        values.push(t.text);
        this.next();
        expectValue = false;
      } else if (t.kind === ',') {
        // `(a,,b)` and `(,a)` carry an empty value, as upstream reads them.
        if (expectValue) values.push('');
        this.next();
        expectValue = true;
      } else if (t.kind === ')') {
        if (expectValue) values.push('');
        this.next();
        return values;
      } else {
        throw new Error(`found '${t.text}', expected: ')'`);
      }
    }
  }
}

function checkKey(key: string, path: string): void {
  const errs = isQualifiedName(key);
  if (errs.length) throw new Error(`${path}: Invalid value: "${key}": ${errs.join('; ')}`);
}

function makeRequirement(key: string, operator: LabelOperator, rawValues: string[]): LabelRequirement {
  checkKey(key, 'key');
  const values = [...new Set(rawValues)].sort();
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        throw new Error(`values: Invalid value: "": for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        throw new Error(
          `values: Invalid value: "${values.join(',')}": exact-match compatibility requires one single value`,
        );
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        throw new Error(
          `values: Invalid value: "${values.join(',')}": values set must be empty for exists and does not exist`,
        );
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0])) {
        throw new Error(
          `values[0]: Invalid value: "${values[0] ?? ''}": for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      return { key, operator, values };
  }
  values.forEach((v, i) => {
    const errs = isValidLabelValue(v);
    if (errs.length) throw new Error(`values[${i}][${key}]: Invalid value: "${v}": ${errs.join('; ')}`);
  });
  return { key, operator, values };
}

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h` as upstream's labels.Parse does, requirements
 * sorted by key. Invalid text is a 400 BadRequest with upstream's message.
 */
export function parseLabelSelector(text: string): LabelMatcher {
  let requirements: LabelRequirement[];
  try {
    requirements = new SelectorParser(tokenize(text)).parse();
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  return new RequirementsMatcher(sortRequirements(requirements));
}

/** The requirements of a matcher built here, for callers that need to inspect them. */
export function requirementsOf(m: LabelMatcher): readonly LabelRequirement[] {
  return m instanceof RequirementsMatcher ? m.requirements : [];
}

function sortRequirements(rs: LabelRequirement[]): LabelRequirement[] {
  return [...rs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- metav1.LabelSelector ----------------------------------------------------------------------

const OBJECT_OPERATORS: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * A matcher for a metav1.LabelSelector as upstream's LabelSelectorAsSelector: an empty selector
 * selects everything, an undefined one nothing. Invalid content is a 400 BadRequest.
 */
export function labelSelectorFromObject(sel: LabelSelector | undefined | null): LabelMatcher {
  if (sel === undefined || sel === null) return NOTHING;
  const requirements: LabelRequirement[] = [];
  try {
    for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
      requirements.push(makeRequirement(key, '=', [value]));
    }
    for (const expr of sel.matchExpressions ?? []) {
      const op = OBJECT_OPERATORS[expr.operator];
      if (!op) throw new Error(`"${expr.operator}" is not a valid label selector operator`);
      requirements.push(makeRequirement(expr.key, op, [...(expr.values ?? [])]));
    }
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  return new RequirementsMatcher(sortRequirements(requirements));
}

/** The string form of a metav1.LabelSelector, as written to `status.selector` of scale subresources. */
export function labelSelectorAsString(sel: LabelSelector | undefined | null): string {
  if (sel === undefined || sel === null) return '';
  return labelSelectorFromObject(sel).toString();
}

/** A matcher for a plain `key: value` map (Service and ReplicationController selectors). */
export function labelSelectorFromSet(set: Record<string, string> | undefined): LabelMatcher {
  return labelSelectorFromObject({ matchLabels: set ?? {} });
}
