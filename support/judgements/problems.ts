// The judgements behind the checks, one file per area, are pure functions over API objects and command output: each
// returns the problems it found (empty = pass), every problem naming the object and printing observed vs expected
// values. Specs gather the observations; the judgements decide, and unit tests feed them real-shaped objects. Here:
// the shapes their problems share.
import { familyOf, partitionByFamily } from '../../lib/ip.ts';

/** "families=[IPv4,IPv6]" as the API lists them, with invalid entries marked. */
export function familiesOfList(addresses: readonly string[]): string {
  return `[${addresses.map((address) => familyOf(address) ?? 'invalid').join(',')}]`;
}

/** Problems with a list that must hold exactly one valid address of each family. */
export function oneOfEachFamily(addresses: readonly string[], what: string): string[] {
  const grouped = partitionByFamily(addresses);
  const problems = grouped.invalid.map((entry) => `${what} entry ${entry.reason}`);
  for (const family of ['IPv4', 'IPv6'] as const) {
    const count = grouped[family].length;
    if (count === 0) problems.push(`no ${family} address in ${what}`);
    if (count > 1) problems.push(`${count} ${family} addresses in ${what}, expected one`);
  }
  return problems;
}

export function prefixed(prefix: string, problems: readonly string[]): string[] {
  return problems.length === 0 ? [] : [`${prefix}; ${problems.join('; ')}`];
}
