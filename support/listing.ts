// What `--list` prints and how `--grep`/`--skip` select: both from the catalog and titles alone, no cluster needed.
import type { CheckInstance } from './checks.ts';
import type { RunConfig } from './config.ts';

export interface ListedCheck {
  readonly id: string;
  readonly area: string;
  /** IPv4/IPv6 for a per-family check, null for a family-independent one. */
  readonly family: string | null;
  readonly title: string;
  /** Families the cluster must have for the check to pass. */
  readonly requires: readonly string[];
  /** Optional capabilities whose absence skips it. */
  readonly skipsWithout: readonly string[];
}

/**
 * The catalog as --list prints it. Loaded here, on demand, from the spec files (specs/catalog.ts): a run must
 * leave their first loading to mocha.
 */
export async function checkList(): Promise<ListedCheck[]> {
  const { CHECKS } = await import('../specs/catalog.ts');
  return listedChecks(CHECKS);
}

export function listedChecks(checks: readonly CheckInstance[]): ListedCheck[] {
  return checks.map((check) => ({
    id: check.id,
    area: check.area,
    family: check.family ?? null,
    title: check.title,
    requires: [...check.requiresFamilies],
    skipsWithout: [...check.skipsWithout],
  }));
}

/** One line per check: id, area, title, in columns; a last line with the count. */
export function formatCheckList(checks: readonly ListedCheck[]): string {
  const idWidth = Math.max(...checks.map((check) => check.id.length));
  const areaWidth = Math.max(...checks.map((check) => check.area.length));
  const lines = checks.map((check) => `${check.id.padEnd(idWidth)}  ${check.area.padEnd(areaWidth)}  ${check.title}`);
  return [...lines, `${checks.length} checks`].join('\n');
}

/** `text` matched literally inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * mocha's grep for `--grep` and `--skip` (substrings of a test's full title): one expression, because mocha takes
 * one; lookaheads so that both apply to the whole title. Undefined when neither is given.
 */
export function selectionPattern(config: Pick<RunConfig, 'grep' | 'skip'>): RegExp | undefined {
  if (config.grep === undefined && config.skip === undefined) return undefined;
  const want = config.grep === undefined ? '' : `(?=[\\s\\S]*${escapeRegExp(config.grep)})`;
  const skip = config.skip === undefined ? '' : `(?![\\s\\S]*${escapeRegExp(config.skip)})`;
  return new RegExp(`^${want}${skip}`);
}
