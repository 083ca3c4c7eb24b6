import { describe, expect, it } from 'vitest';
import { MESSAGES, TOP_LEVEL } from '../../../api/protobuf/index.js';

describe('protobuf message table', () => {
  it('references only messages that are in the table', () => {
    const missing: string[] = [];
    for (const [name, fields] of Object.entries(MESSAGES)) {
      for (const field of fields) {
        const refs = [field.message, field.mapValue?.kind === 'message' ? field.mapValue.message : undefined];
        for (const ref of refs)
          if (ref !== undefined && !(ref in MESSAGES)) missing.push(`${name}.${field.name} → ${ref}`);
        if (field.kind === 'message' && !field.message)
          missing.push(`${name}.${field.name} has no message type`);
      }
    }
    for (const [kind, message] of Object.entries(TOP_LEVEL))
      if (!(message in MESSAGES)) missing.push(`${kind} → ${message}`);
    expect(missing).toEqual([]);
  });

  it('has unique field numbers and JSON names in every message, inlined fields included', () => {
    const clashes: string[] = [];
    const jsonNames = (name: string): string[] =>
      MESSAGES[name].flatMap((field) => (field.inline ? jsonNames(field.message ?? '') : [field.name]));
    for (const [name, fields] of Object.entries(MESSAGES)) {
      const numbers = fields.map((field) => field.number);
      if (new Set(numbers).size !== numbers.length) clashes.push(`${name}: duplicate field number`);
      const names = jsonNames(name);
      if (new Set(names).size !== names.length) clashes.push(`${name}: duplicate JSON name`);
    }
    expect(clashes).toEqual([]);
  });

  it('gives every top-level kind a metadata field 1 of type ObjectMeta', () => {
    for (const message of Object.values(TOP_LEVEL)) {
      expect(MESSAGES[message][0]).toMatchObject({ number: 1, name: 'metadata', message: 'meta.ObjectMeta' });
    }
  });
});
