import { readFile } from 'node:fs/promises';
import { SkiffError } from '../../../api/errors.js';
import type { TokenValidator } from './token-authenticator.js';
import type { UserInfo } from './user-info.js';

/**
 * Tokens from a CSV file in kube-apiserver's --token-auth-file format, one per line:
 * `token,user,uid[,"group1,group2"]`. Blank lines are skipped; a line with an empty token is
 * ignored; when a token repeats, the later line wins.
 */
export class StaticTokenFile implements TokenValidator {
  private constructor(private readonly users: ReadonlyMap<string, UserInfo>) {}

  static async load(path: string): Promise<StaticTokenFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new SkiffError('SKIFF_TOKEN_FILE_UNREADABLE', `cannot read token file ${path}`, { cause: e });
    }
    return StaticTokenFile.parse(text, path);
  }

  static parse(text: string, source = 'token file'): StaticTokenFile {
    const users = new Map<string, UserInfo>();
    const records = parseCsv(text.replace(/^\uFEFF/, ''), source);
    records.forEach((record, i) => {
      if (record.length < 3) {
        throw new SkiffError(
          'SKIFF_TOKEN_FILE_INVALID',
          `${source}: record ${i + 1} must have at least 3 columns (token, user name, user uid), found ${record.length}`,
        );
      }
      const [token, username, uid, groups] = record;
      if (token === '') return;
      const user: UserInfo = {
        username,
        uid,
        groups: (groups ?? '')
          .split(',')
          .map((g) => g.trim())
          .filter((g) => g !== ''),
      };
      users.set(token, user);
    });
    return new StaticTokenFile(users);
  }

  get size(): number {
    return this.users.size;
  }

  async validate(token: string): Promise<UserInfo | undefined> {
    const user = this.users.get(token);
    return user && { ...user, groups: [...user.groups] };
  }
}

/**
 * RFC 4180 CSV as Go's encoding/csv reads it with TrimLeadingSpace: quoted fields may hold commas,
 * newlines and doubled quotes; leading spaces of a field are dropped; empty lines are skipped.
 */
function parseCsv(text: string, source: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let line = 1;
  let atFieldStart = true;
  let lineHasContent = false;
  const endField = () => {
    record.push(field);
    field = '';
    atFieldStart = true;
  };
  const endRecord = () => {
    if (lineHasContent) {
      endField();
      records.push(record);
    }
    record = [];
    field = '';
    atFieldStart = true;
    lineHasContent = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (atFieldStart && (c === ' ' || c === '\t')) {
      i++;
      continue;
    }
    if (atFieldStart && c === '"') {
      lineHasContent = true;
      atFieldStart = false;
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new SkiffError(
            'SKIFF_TOKEN_FILE_INVALID',
            `${source}: line ${line}: unterminated quoted field`,
          );
        }
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new SkiffError(
          'SKIFF_TOKEN_FILE_INVALID',
          `${source}: line ${line}: extraneous text after quoted field`,
        );
      }
      continue;
    }
    if (c === ',') {
      lineHasContent = true;
      endField();
      i++;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') {
      i++;
      continue;
    }
    if (c === '\n') {
      endRecord();
      line++;
      i++;
      continue;
    }
    lineHasContent = true;
    atFieldStart = false;
    field += c;
    i++;
  }
  endRecord();
  return records;
}
