import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDefinitions } from '../api/openapi/generate.js';

// Runs from dist/scripts/gen-openapi.js right after tsc; writes dist/openapi/definitions.json.
const out = fileURLToPath(new URL('../openapi/definitions.json', import.meta.url));
const started = performance.now();
const defs = generateDefinitions();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(defs)}\n`);
const ms = Math.round(performance.now() - started);
process.stdout.write(`gen-openapi: wrote ${Object.keys(defs).length} definitions to ${out} in ${ms} ms\n`);
