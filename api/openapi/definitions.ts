import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateDefinitions } from './generate.js';
import type { Definitions } from './schema.js';

let cached: Definitions | undefined;

/**
 * Where the build writes the definitions: next to the compiled tree
 * (dist/api/openapi/definitions.js → dist/openapi/definitions.json), or, when running from the
 * TypeScript sources (vitest, tsx), under <repo>/dist.
 */
export function definitionsPath(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  const relative = fromSources ? '../../dist/openapi/definitions.json' : '../../openapi/definitions.json';
  return fileURLToPath(new URL(relative, import.meta.url));
}

/**
 * The OpenAPI definitions derived from kubernetes-types, read once. Without the built file it
 * generates them in-process, which needs the `typescript` package (a dev dependency).
 */
export function loadDefinitions(): Definitions {
  if (cached) return cached;
  const file = definitionsPath();
  if (existsSync(file)) {
    cached = JSON.parse(readFileSync(file, 'utf8')) as Definitions;
    return cached;
  }
  try {
    cached = generateDefinitions();
  } catch (err) {
    throw new Error(`OpenAPI definitions missing at ${file}; run \`npm run build\` to generate them`, {
      cause: err,
    });
  }
  return cached;
}
