// The DNS judgement: an answer against the addresses of one family it must hold.
import { familyOf, formatList, sameAddress, type IpFamily } from '../../lib/ip.ts';
import { prefixed } from './problems.ts';

/** Compares a DNS answer with the expected address set of one family (order-insensitive, spelling-insensitive). */
export function judgeDnsAnswer(name: string, recordType: 'A' | 'AAAA', answer: readonly string[], expected: readonly string[]): string[] {
  const family: IpFamily = recordType === 'A' ? 'IPv4' : 'IPv6';
  const problems: string[] = [];
  const wrongFamily = answer.filter((address) => familyOf(address) !== family);
  const missing = expected.filter((ip) => !answer.some((address) => sameAddress(address, ip)));
  const extra = answer.filter((address) => !expected.some((ip) => sameAddress(address, ip)));
  if (expected.length === 0) problems.push(`nothing of ${family} to expect`);
  if (wrongFamily.length > 0) problems.push(`answers not of ${family}: ${formatList(wrongFamily)}`);
  if (missing.length > 0) problems.push(`missing ${formatList(missing)}`);
  if (extra.length > 0 && wrongFamily.length === 0) problems.push(`unexpected ${formatList(extra)}`);
  return prefixed(`${recordType} ${name} -> ${formatList(answer)}, expected ${formatList(expected)}`, problems);
}
