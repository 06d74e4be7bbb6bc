// Parsing of `env` output from a container. `env` works in every image we use (busybox, agnhost); the page's
// `set` is a shell builtin that `kubectl exec` cannot run without a shell.

/** Variables in order of appearance; a line that does not start a variable continues the previous value. */
export function parseEnvOutput(output: string): Map<string, string> {
  const variables = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const equals = line.indexOf('=');
    const name = equals > 0 ? line.slice(0, equals) : '';
    if (isVariableName(name)) {
      current = name;
      variables.set(name, line.slice(equals + 1));
    } else if (current !== undefined && line !== '') {
      // Multi-line values: `env` prints embedded newlines verbatim.
      variables.set(current, `${variables.get(current) ?? ''}\n${line}`);
    }
  }
  return variables;
}

function isVariableName(name: string): boolean {
  if (name === '') return false;
  for (const [index, char] of [...name].entries()) {
    const letter = (char >= 'A' && char <= 'Z') || (char >= 'a' && char <= 'z') || char === '_';
    const digit = char >= '0' && char <= '9';
    if (!letter && !(digit && index > 0)) return false;
  }
  return true;
}

/** One variable of `env` output as `NAME=value`: what a report records, never the rest of a pod's environment. */
export function envEntry(output: string, name: string): string {
  const value = parseEnvOutput(output).get(name);
  return value === undefined ? `(env has no ${name})` : `${name}=${value}`;
}

/** Splits a downward-API list such as MY_POD_IPS="10.244.1.4,fd00:10:244:1::4". */
export function splitCommaList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
