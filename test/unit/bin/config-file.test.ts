import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandConfigFile } from '../../../bin/config-file.js';

describe('config file expansion', () => {
  it('puts config flags before command-line flags so the command line wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cfg-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'secure-port: 7443\ndata-dir: /srv/skiff\n');
    expect(expandConfigFile(['server', '--config', file, '--secure-port', '8443'])).toEqual([
      'server',
      '--secure-port=7443',
      '--data-dir=/srv/skiff',
      '--secure-port',
      '8443',
    ]);
  });

  it('fails for a named file that is missing and rejects non-mappings', () => {
    expect(() => expandConfigFile(['server', '--config=/nonexistent/skiff.yaml'])).toThrow(/does not exist/);
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cfg-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, '- a\n- b\n');
    expect(() => expandConfigFile(['server', `--config=${file}`])).toThrow(/mapping/);
  });
});

describe('config file scope', () => {
  it('leaves tool commands alone', () => {
    expect(expandConfigFile(['cri', '--config', '/nonexistent.yaml', 'ps'])).toEqual([
      'cri',
      '--config',
      '/nonexistent.yaml',
      'ps',
    ]);
    expect(expandConfigFile(['version'])).toEqual(['version']);
  });
});
