import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import type * as TS from 'typescript';
import { compareStrings } from '../compare-strings.js';
import { applyPatchMeta } from './patch-meta.js';
import { DEFINITIONS_REF_PREFIX, type Definitions, type Schema } from './schema.js';

/**
 * Derives OpenAPI definitions from the kubernetes-types declaration files: every interface
 * becomes an object schema, JSDoc becomes `description`, optional markers decide `required`,
 * and literal `apiVersion`/`kind` members mark the top-level kinds.
 */

export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** The .d.ts module (path inside kubernetes-types, no extension) → upstream Go package name. */
export function packageOf(moduleKey: string): string {
  switch (moduleKey) {
    case 'meta/v1':
      return 'io.k8s.apimachinery.pkg.apis.meta.v1';
    case 'api/resource':
      return 'io.k8s.apimachinery.pkg.api.resource';
    case 'runtime':
      return 'io.k8s.apimachinery.pkg.runtime';
    case 'version':
      return 'io.k8s.apimachinery.pkg.version';
    case 'apiextensions/v1':
      return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
    default:
      return `io.k8s.api.${moduleKey.replaceAll('/', '.')}`;
  }
}

// kubernetes-types only says `number`; these fields are int64 upstream (all others int32).
const INT64_FIELDS = new Set([
  'activeDeadlineSeconds',
  'terminationGracePeriodSeconds',
  'deletionGracePeriodSeconds',
  'gracePeriodSeconds',
  'generation',
  'observedGeneration',
  'remainingItemCount',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'supplementalGroups',
  'expirationSeconds',
  'revision',
  'startingDeadlineSeconds',
  'maxItems',
  'maxLength',
  'maxProperties',
  'minItems',
  'minLength',
  'minProperties',
  'ints',
]);
// The few float fields upstream, by `<definition>.<property>`.
const DOUBLE_FIELDS = new Set(
  ['maximum', 'minimum', 'multipleOf'].map(
    (p) => `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.${p}`,
  ),
);
const DATE_TIME_ALIASES = new Set(['Time', 'MicroTime']);

interface Module {
  key: string;
  source: TS.SourceFile;
  /** Local name → definition name, for local declarations and named imports. */
  names: Map<string, string>;
}

function loadTypeScript(): typeof TS {
  return createRequire(import.meta.url)('typescript') as typeof TS;
}

function typesRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));
}

function declarationFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort();
}

/** The JSDoc block right before a node, with the comment markers and leading stars removed. */
function docOf(ts: typeof TS, source: TS.SourceFile, node: TS.Node): string | undefined {
  const text = source.text;
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const last = ranges.filter((r) => text.startsWith('/**', r.pos)).at(-1);
  if (!last) return undefined;
  const body = text.slice(last.pos + 3, last.end - 2);
  const lines = body.split('\n').map((line) => line.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  const doc = lines.join('\n').trim();
  return doc === '' ? undefined : doc;
}

function memberName(ts: typeof TS, name: TS.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  throw new Error(`unsupported property name kind ${ts.SyntaxKind[name.kind]}`);
}

function literalText(ts: typeof TS, type: TS.TypeNode | undefined): string | undefined {
  if (type && ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal)) return type.literal.text;
  return undefined;
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

class Generator {
  readonly defs: Definitions = {};

  constructor(private readonly ts: typeof TS) {}

  run(root: string): Definitions {
    const modules = declarationFiles(root).map((file) => this.parse(root, file));
    for (const m of modules) this.collectImports(m);
    for (const m of modules) this.emit(m);
    this.defs[INT_OR_STRING] = {
      type: 'string',
      format: 'int-or-string',
      description:
        'IntOrString holds either an int32 or a string. In JSON and YAML it is written as the inner value itself, so a field of this type accepts a number or a name.',
    };
    applyPatchMeta(this.defs);
    return Object.fromEntries(Object.entries(this.defs).sort(([a], [b]) => compareStrings(a, b)));
  }

  private parse(root: string, file: string): Module {
    const ts = this.ts;
    const key = file.slice(0, -'.d.ts'.length);
    const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest);
    const names = new Map<string, string>();
    for (const stmt of source.statements) {
      if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) {
        names.set(stmt.name.text, `${packageOf(key)}.${stmt.name.text}`);
      }
    }
    return { key, source, names };
  }

  private collectImports(m: Module): void {
    const ts = this.ts;
    for (const stmt of m.source.statements) {
      if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
      const target = posix.normalize(posix.join(posix.dirname(m.key), stmt.moduleSpecifier.text));
      const bindings = stmt.importClause?.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) {
        const imported = (el.propertyName ?? el.name).text;
        m.names.set(el.name.text, `${packageOf(target)}.${imported}`);
      }
    }
  }

  private emit(m: Module): void {
    const ts = this.ts;
    for (const stmt of m.source.statements) {
      if (ts.isInterfaceDeclaration(stmt)) {
        const name = m.names.get(stmt.name.text)!;
        this.defs[name] = this.interfaceSchema(m, stmt, name);
      } else if (ts.isTypeAliasDeclaration(stmt)) {
        const name = m.names.get(stmt.name.text)!;
        const schema: Schema = {};
        const description = docOf(ts, m.source, stmt);
        if (description) schema.description = description;
        if (stmt.type.kind === ts.SyntaxKind.StringKeyword) {
          schema.type = 'string';
          if (DATE_TIME_ALIASES.has(stmt.name.text)) schema.format = 'date-time';
        }
        // Unions such as JSONSchemaPropsOrBool stay untyped: upstream describes them without a type.
        this.defs[name] = schema;
      }
    }
  }

  private interfaceSchema(m: Module, decl: TS.InterfaceDeclaration, name: string): Schema {
    const ts = this.ts;
    const schema: Schema = {};
    const description = docOf(ts, m.source, decl);
    if (description) schema.description = description;
    schema.type = 'object';
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    let apiVersion: string | undefined;
    let kind: string | undefined;
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const prop = memberName(ts, member.name);
      if (prop === 'apiVersion') apiVersion = literalText(ts, member.type);
      if (prop === 'kind') kind = literalText(ts, member.type);
      const p = this.typeSchema(m, member.type, name, prop);
      const doc = docOf(ts, m.source, member);
      properties[prop] = doc ? withDescription(p, doc) : p;
      if (!member.questionToken) required.push(prop);
    }
    if (Object.keys(properties).length > 0) schema.properties = properties;
    if (required.length > 0) schema.required = required.sort();
    if (apiVersion !== undefined && kind !== undefined) {
      schema['x-kubernetes-group-version-kind'] = [{ ...parseGroupVersion(apiVersion), kind }];
    }
    return schema;
  }

  private typeSchema(m: Module, type: TS.TypeNode, owner: string, prop: string): Schema {
    const ts = this.ts;
    switch (type.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NumberKeyword:
        if (DOUBLE_FIELDS.has(`${owner}.${prop}`)) return { type: 'number', format: 'double' };
        return { type: 'integer', format: INT64_FIELDS.has(prop) ? 'int64' : 'int32' };
    }
    if (ts.isLiteralTypeNode(type)) return { type: 'string' };
    if (ts.isUnionTypeNode(type)) {
      const kinds = new Set(type.types.map((t) => t.kind));
      if (kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) {
        return { $ref: DEFINITIONS_REF_PREFIX + INT_OR_STRING };
      }
      return {};
    }
    if (ts.isArrayTypeNode(type))
      return { type: 'array', items: this.typeSchema(m, type.elementType, owner, prop) };
    if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      const ref = type.typeName.text;
      if (ref === 'Array' && type.typeArguments?.length === 1) {
        return { type: 'array', items: this.typeSchema(m, type.typeArguments[0]!, owner, prop) };
      }
      const target = m.names.get(ref);
      if (!target) throw new Error(`kubernetes-types ${m.key}: unresolved type ${ref}`);
      return { $ref: DEFINITIONS_REF_PREFIX + target };
    }
    if (ts.isTypeLiteralNode(type)) {
      const index = type.members.find((x) => ts.isIndexSignatureDeclaration(x));
      if (index?.type)
        return { type: 'object', additionalProperties: this.typeSchema(m, index.type, owner, prop) };
      return { type: 'object' };
    }
    return {};
  }
}

function withDescription(schema: Schema, description: string): Schema {
  return { ...schema, description };
}

/** Builds every definition from the installed kubernetes-types; takes well under a second. */
export function generateDefinitions(): Definitions {
  return new Generator(loadTypeScript()).run(typesRoot());
}
