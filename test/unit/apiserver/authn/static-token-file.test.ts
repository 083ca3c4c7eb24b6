import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SkiffError } from '../../../../api/errors.js';
import { StaticTokenFile } from '../../../../control-plane/apiserver/authn/static-token-file.js';

describe('StaticTokenFile', () => {
  it('maps tokens to users with uid and quoted comma-separated groups', async () => {
    const file = StaticTokenFile.parse(
      [
        'tok1,alice,1001,"system:masters,devs"',
        'tok2,bob,1002',
        '',
        '  tok3, carol ,1003, "a, b ,,c"',
        'tok4,"dave, jr",1004,ops',
      ].join('\r\n'),
    );
    expect(file.size).toBe(4);
    expect(await file.validate('tok1')).toEqual({
      username: 'alice',
      uid: '1001',
      groups: ['system:masters', 'devs'],
    });
    expect(await file.validate('tok2')).toEqual({ username: 'bob', uid: '1002', groups: [] });
    expect(await file.validate('tok3')).toEqual({ username: 'carol ', uid: '1003', groups: ['a', 'b', 'c'] });
    expect(await file.validate('tok4')).toEqual({ username: 'dave, jr', uid: '1004', groups: ['ops'] });
    expect(await file.validate('nope')).toBeUndefined();
    expect(await file.validate('')).toBeUndefined();
  });

  it('lets a later line win for a repeated token and ignores empty tokens', async () => {
    const file = StaticTokenFile.parse('t,first,1\nt,second,2\n,nobody,3\n');
    expect(await file.validate('t')).toMatchObject({ username: 'second', uid: '2' });
    expect(file.size).toBe(1);
  });

  it('handles doubled quotes and newlines inside quoted fields', async () => {
    const file = StaticTokenFile.parse('t,"say ""hi""","multi\nline"\n');
    expect(await file.validate('t')).toMatchObject({ username: 'say "hi"', uid: 'multi\nline' });
  });

  it('rejects records with fewer than three columns', () => {
    expect(() => StaticTokenFile.parse('t,alice,1\nbroken,row\n', 'tokens.csv')).toThrow(
      /tokens.csv: record 2 must have at least 3 columns/,
    );
  });

  it('rejects an unterminated quote', () => {
    const err = (() => {
      try {
        StaticTokenFile.parse('t,"alice,1\n');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SkiffError);
    expect((err as SkiffError).code).toBe('SKIFF_TOKEN_FILE_INVALID');
  });

  it('does not let callers mutate the stored groups', async () => {
    const file = StaticTokenFile.parse('t,u,1,g\n');
    (await file.validate('t'))?.groups.push('system:masters');
    expect((await file.validate('t'))?.groups).toEqual(['g']);
  });

  it('loads a file from disk and reports a missing one with a code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-tokens-'));
    try {
      await writeFile(join(dir, 'tokens.csv'), '\uFEFFsecret,admin,0,system:masters\n');
      const file = await StaticTokenFile.load(join(dir, 'tokens.csv'));
      expect(await file.validate('secret')).toEqual({
        username: 'admin',
        uid: '0',
        groups: ['system:masters'],
      });
      const err = await StaticTokenFile.load(join(dir, 'missing.csv')).catch((e: unknown) => e);
      expect((err as SkiffError).code).toBe('SKIFF_TOKEN_FILE_UNREADABLE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
