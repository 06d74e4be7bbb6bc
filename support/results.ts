// Verdicts per check id, collected from mocha's runner events, and the two machine-readable reports built from
// them: summary.json and JUnit XML. Every selected check appears in both, even one a failed hook kept from
// running ("not-run"), so a crash can never hide a check.
import type { Topology } from './report/topology.ts';
import type { CheckArea, CheckInstance } from './checks.ts';
import { checkIdOfTitle } from './checks.ts';
import type { IpFamily } from '../lib/ip.ts';

export type Verdict = 'passed' | 'failed' | 'skipped' | 'not-run';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly area: CheckArea;
  readonly family: IpFamily | undefined;
  readonly verdict: Verdict;
  /** Failure message, skip reason, or why it did not run. */
  readonly reason: string | undefined;
  readonly durationMs: number | undefined;
}

interface RunnableLike {
  title: string;
  type?: string;
  duration?: number;
}

/** The subset of mocha's Runner the collector listens to. */
export interface RunnerEvents {
  on(event: 'pass' | 'pending', listener: (test: RunnableLike) => void): unknown;
  on(event: 'fail', listener: (test: RunnableLike, error: Error) => void): unknown;
}

export class ResultCollector {
  private readonly recorded = new Map<string, CheckResult>();
  readonly hookFailures: string[] = [];

  constructor(
    private readonly selected: readonly CheckInstance[],
    private readonly skipReasons: ReadonlyMap<string, string>,
    /** Each check's own run time; mocha's duration of an `it` is only its wait for a check started earlier. */
    private readonly durations: ReadonlyMap<string, number> = new Map(),
  ) {}

  attach(runner: RunnerEvents): void {
    runner.on('pass', (test) => this.record(test, 'passed', undefined));
    runner.on('pending', (test) => {
      const id = checkIdOfTitle(test.title);
      this.record(test, 'skipped', (id && this.skipReasons.get(id)) || 'skipped');
    });
    runner.on('fail', (test, error) => {
      if (test.type === 'hook') this.hookFailures.push(`${test.title}: ${error.message}`);
      else this.record(test, 'failed', error.message);
    });
  }

  private record(test: RunnableLike, verdict: Verdict, reason: string | undefined): void {
    const id = checkIdOfTitle(test.title);
    const check = id ? this.selected.find((candidate) => candidate.id === id) : undefined;
    if (!check) return;
    this.recorded.set(check.id, {
      id: check.id,
      title: check.title,
      area: check.area,
      family: check.family,
      verdict,
      reason,
      durationMs: this.durations.get(check.id) ?? test.duration,
    });
  }

  /** One result per selected check, in catalog order; unreported ones are "not-run" with the reason. */
  results(notRunReason: string): CheckResult[] {
    return this.selected.map(
      (check) =>
        this.recorded.get(check.id) ?? {
          id: check.id,
          title: check.title,
          area: check.area,
          family: check.family,
          verdict: 'not-run',
          reason: this.hookFailures.length > 0 ? `not run: ${this.hookFailures.join('; ')}` : `not run: ${notRunReason}`,
          durationMs: undefined,
        },
    );
  }
}

export interface Counts {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly notRun: number;
}

export function countResults(results: readonly CheckResult[]): Counts {
  const count = (verdict: Verdict): number => results.filter((result) => result.verdict === verdict).length;
  return { total: results.length, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), notRun: count('not-run') };
}

export interface RunSummary {
  readonly suite: { readonly name: string; readonly version: string };
  readonly runId: string | undefined;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
  /** A --grep/--family run: never a conformance verdict. */
  readonly partial: boolean;
  readonly partialReason: string | null;
  readonly strict: boolean;
  /** Capabilities the user declared absent (--absent): their checks are skipped, also under --strict. */
  readonly declaredAbsent: readonly string[];
  /** Why each of them is absent: "--absent <name>", or the run's own reason ("in-cluster run: no off-cluster client"). */
  readonly declaredAbsentReasons?: Readonly<Record<string, string>>;
  readonly verdict: 'passed' | 'failed' | 'error' | 'interrupted';
  readonly exitCode: number;
  readonly reason: string;
  readonly cluster: Record<string, unknown> | undefined;
  readonly counts: Counts;
  readonly checks: readonly CheckResult[];
  readonly hookFailures: readonly string[];
  readonly cleanupFailures: readonly string[];
  /** Phase changes (`create`, `wait`, `exec`, `cleanup`, ...) in seconds since start. */
  readonly phases: readonly { readonly phase: string; readonly atSeconds: number }[];
  /** Nodes, the run's pods and Services with their addresses, the probed paths per family (the report's picture). */
  readonly topology?: Topology | undefined;
}

/** Text safe inside an XML/HTML attribute or element: control characters dropped, markup characters escaped. */
export function xmlAttribute(value: string): string {
  return xmlText(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;');
}

/** Drops characters XML 1.0 forbids: control characters other than tab, newline and carriage return. */
function xmlText(value: string): string {
  return [...value].filter((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
  }).join('');
}

function cdata(value: string): string {
  return `<![CDATA[${xmlText(value).replace(/\]\]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** JUnit XML: one testsuite per area (each carrying the run's verdict and PARTIAL flag as properties), skips as
 * <skipped message="reason"/>, not-run checks as errors. */
export function toJUnitXml(summary: RunSummary): string {
  const seconds = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);
  const properties = [
    ['verdict', summary.verdict],
    ['partial', String(summary.partial)],
    ...(summary.partialReason ? [['partialReason', summary.partialReason]] : []),
    ['strict', String(summary.strict)],
  ]
    .map(([name, value]) => `      <property name="${xmlAttribute(name ?? '')}" value="${xmlAttribute(value ?? '')}"/>`)
    .join('\n');
  const areas = [...new Set(summary.checks.map((check) => check.area))];
  const suites = areas.map((area) => {
    const checks = summary.checks.filter((check) => check.area === area);
    const counts = countResults(checks);
    const time = checks.reduce((total, check) => total + (check.durationMs ?? 0), 0);
    const cases = checks.map((check) => {
      const open = `    <testcase classname="dualstack-conformance.${area}" name="${xmlAttribute(`[${check.id}] ${check.title}`)}" time="${seconds(check.durationMs)}"`;
      const reason = check.reason ?? '';
      switch (check.verdict) {
        case 'passed':
          return `${open}/>`;
        case 'skipped':
          return `${open}>\n      <skipped message="${xmlAttribute(reason)}"/>\n    </testcase>`;
        case 'failed':
          return `${open}>\n      <failure message="${xmlAttribute(reason.split('\n')[0] ?? '')}" type="CheckFailure">${cdata(reason)}</failure>\n    </testcase>`;
        case 'not-run':
          return `${open}>\n      <error message="${xmlAttribute(reason)}" type="NotRun"/>\n    </testcase>`;
      }
    });
    return [
      `  <testsuite name="${area}" tests="${counts.total}" failures="${counts.failed}" errors="${counts.notRun}" skipped="${counts.skipped}" time="${seconds(time)}">`,
      '    <properties>',
      properties,
      '    </properties>',
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const counts = summary.counts;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dualstack-conformance${summary.partial ? ' (PARTIAL)' : ''}" tests="${counts.total}" failures="${counts.failed}" errors="${counts.notRun}" skipped="${counts.skipped}" time="${summary.wallSeconds.toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
