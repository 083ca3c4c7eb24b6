/**
 * Kubernetes' `$(VAR)` expansion of env values, command and args: `$(NAME)` becomes the value of
 * NAME when `lookup` knows it and stays as written otherwise; `$$` is an escaped `$`; any other
 * `$`, and an unterminated `$(`, are kept literally.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // Unterminated: keep `$(` and go on scanning after it.
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** A lookup over env entries where a later entry of the same name wins. */
export function envLookup(
  env: readonly { key: string; value: string }[],
): (name: string) => string | undefined {
  const m = new Map<string, string>();
  for (const e of env) m.set(e.key, e.value);
  return (name) => m.get(name);
}
