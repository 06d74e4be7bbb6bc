// A spec file's checks become mocha `it`s here (`registerArea`), one per check, titled `[id] sentence`; each body
// runs with a context carrying the run's state. A failure of a check that needs a family the cluster lacks names
// that family; a skip carries its reason everywhere (console title, report context, JUnit, summary) and becomes a
// failure under --strict unless the capability was declared absent. A check needing a capability declared absent
// (--absent) is skipped before its body runs, whatever detection would find, so nothing is probed or started for it.
import addContext from 'mochawesome/addContext.js';
import {
  checkTitle,
  selectedByFamily,
  CAPABILITY_DESCRIPTIONS,
  type Capability,
  type CheckBody,
  type CheckInstance,
  type SpecArea,
} from './checks.ts';
import { declaredAbsentReason } from './config.ts';
import type { DeployedFixtures } from './deploy.ts';
import { TimeoutError } from '../lib/errors.ts';
import { familyAbsence } from './families.ts';
import type { IpFamily } from '../lib/ip.ts';
import { probeLineSink } from './probes/retry.ts';
import { currentRun, currentSelection, type Run } from './run.ts';

const NOT_DEPLOYED = 'fixtures are not deployed: the root before hook failed or did not run';

/** A failed check; its message lists every problem found, one per line. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

export interface CheckContext {
  readonly check: CheckInstance;
  /** The run: its configuration, clients, namespaces and what was discovered about the cluster. */
  readonly run: Run;
  /** Every fixture of the run, deployed and Ready. */
  readonly fixtures: DeployedFixtures;
  /** Attaches what was observed (addresses, CIDRs, command output) to the report. */
  observe(title: string, value: unknown): void;
  /** Skips for a missing optional capability, with the reason. */
  skip(capability: Capability, reason: string): never;
  /** Fails with every problem listed; does nothing when there is none. */
  verdict(problems: readonly string[]): void;
}

/** The context of a per-family check's body: the family it judges. */
export interface FamilyCheckContext extends CheckContext {
  readonly family: IpFamily;
}

class SkipSignal {
  constructor(readonly reason: string) {}
}

/**
 * "cluster has no IPv6: ..." for each family the check needs and the cluster lacks; "IPv6 missing on part of the
 * cluster ...: node w ..." when only some nodes lack it.
 */
function familyAbsences(check: CheckInstance, run: Run): string[] {
  return check.requiresFamilies
    .map((family) => familyAbsence(run.cluster.families, family))
    .filter((text) => text !== '');
}

/** Appends the family absences a failure message does not already state. */
function withFamilyAbsence(message: string, check: CheckInstance, run: Run): string {
  const absences = familyAbsences(check, run).filter((text) => !message.includes(text));
  return absences.length === 0 ? message : `${message}\n${absences.join('\n')}`;
}

/** What a skip becomes: a skip with its reason, or a failure with its message. */
export type SkipDecision = { readonly kind: 'skip'; readonly reason: string } | { readonly kind: 'fail'; readonly message: string };

export interface SkipInput {
  readonly check: CheckInstance;
  readonly capability: Capability;
  readonly reason: string;
  /** "cluster has no IPv6: ..." for each family the check needs and the cluster lacks (empty: none lacking). */
  readonly familyAbsences: readonly string[];
  readonly strict: boolean;
  /** Capabilities the user declared absent (--absent, --lb-provider=none). */
  readonly declaredAbsent: readonly Capability[];
}

/**
 * The policy at the heart of every verdict that is not a pass: the family rule outranks optional capabilities (without
 * a family it needs, the check fails, naming it, even when the capability was declared absent); --strict turns a skip
 * into a failure unless the capability was declared absent; a check may skip only for a capability its catalog entry
 * names.
 */
export function decideSkip(input: SkipInput): SkipDecision {
  const { check: instance, capability, reason } = input;
  if (!instance.skipsWithout.includes(capability)) return { kind: 'fail', message: `internal: ${instance.id} may not skip for ${capability} (${reason})` };
  if (input.familyAbsences.length > 0) return { kind: 'fail', message: `${input.familyAbsences.join('\n')}\n(besides: ${reason})` };
  if (input.strict && !input.declaredAbsent.includes(capability)) {
    return { kind: 'fail', message: `--strict: would skip (${reason}); needs ${CAPABILITY_DESCRIPTIONS[capability]}` };
  }
  return { kind: 'skip', reason };
}

/** What a check's body did, recorded so that it can run before mocha reaches its `it` and be reported there. */
interface CheckRecord {
  /** Probe lines printed while it ran, shown when mocha reaches the check. */
  readonly lines: readonly string[];
  readonly observations: readonly { readonly title: string; readonly value: unknown }[];
  /** undefined: passed. */
  readonly outcome: SkipSignal | CheckFailure | Error | undefined;
}

interface RegisteredCheck {
  readonly instance: CheckInstance;
  readonly body: CheckBody;
  started: Promise<CheckRecord> | undefined;
}

const registered = new Map<string, RegisteredCheck>();

/** Runs a check's body with a context that records observations, and settles with what happened (never rejects). */
function execute(run: Run, { instance, body }: RegisteredCheck): Promise<CheckRecord> {
  const lines: string[] = [];
  return probeLineSink.run(lines, () => executeBody(run, instance, body, lines));
}

async function executeBody(run: Run, instance: CheckInstance, body: CheckBody, lines: readonly string[]): Promise<CheckRecord> {
  const observations: { title: string; value: unknown }[] = [];
  const { fixtures } = run;
  if (!fixtures) return { lines, observations, outcome: new Error(NOT_DEPLOYED) };
  const context: CheckContext = {
    check: instance,
    run,
    fixtures,
    observe: (title, value) => {
      observations.push({ title, value });
    },
    skip: (capability, reason) => {
      const { strict, absent } = run.config;
      const decision = decideSkip({ check: instance, capability, reason, familyAbsences: familyAbsences(instance, run), strict, declaredAbsent: absent });
      if (decision.kind === 'fail') throw new CheckFailure(decision.message);
      throw new SkipSignal(decision.reason);
    },
    verdict: (problems) => {
      if (problems.length > 0) throw new CheckFailure(problems.join('\n'));
    },
  };
  const started = Date.now();
  try {
    // Declared absent (--absent, --lb-provider=none): skipped before anything is probed or started.
    const absent = instance.skipsWithout.find((capability) => run.config.absent.includes(capability));
    if (absent !== undefined) context.skip(absent, declaredAbsentReason(absent, run.config));
    await body(context);
    return { lines, observations, outcome: undefined };
  } catch (error) {
    return { lines, observations, outcome: error instanceof SkipSignal || error instanceof Error ? error : new Error(String(error)) };
  } finally {
    run.checkDurations.set(instance.id, Date.now() - started);
  }
}

/**
 * Starts the body of every selected check at once, right after setup. The checks are independent (each waits on its
 * own probes, bounded by the timeouts table), so a silent path costs its bound once per run, not once per check; the
 * `it`s then report in catalog order. A check whose body must not overlap another's takes a lock (`exclusively`).
 */
export function startSelectedChecks(run: Run): void {
  for (const entry of registered.values()) {
    if (run.selectedIds.has(entry.instance.id)) entry.started ??= execute(run, entry);
  }
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier holder of `lock` finished: for checks that change shared fixtures. */
export function exclusively<T>(lock: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(lock) ?? Promise.resolve();
  const next = previous.then(work, work);
  locks.set(lock, next.catch(() => undefined));
  return next;
}

/** mocha's functions a spec file registers with: the globals, or a stand-in in unit tests. */
export interface MochaRegistrar {
  describe(title: string, fn: () => void): void;
  it(title: string, fn: (this: Mocha.Context) => Promise<void>): void;
  before(fn: (this: Mocha.Context) => Promise<void>): void;
}

let suiteLoading = false;

/**
 * Called by the root hooks (specs/hooks.ts), which mocha loads before the spec files: only then do spec files become
 * mocha tests. Elsewhere (--list, docs, unit tests importing specs/catalog.ts) they only define the catalog, even
 * inside a mocha process.
 */
export function acceptSpecRegistrations(): void {
  suiteLoading = true;
}

/** The last line of a spec file: its checks become mocha tests when mocha is loading the suite. */
export function registerArea(area: SpecArea): void {
  if (!suiteLoading || typeof describe !== 'function') return;
  registerWith({ describe, it, before }, area, currentSelection().config.family);
}

/** One describe per spec file, one `it` per check that `--family` selects, in the spec file's order. */
export function registerWith(mocha: MochaRegistrar, area: SpecArea, family: IpFamily | undefined): void {
  mocha.describe(area.title, () => {
    const hook = area.before;
    if (hook) {
      mocha.before(async function () {
        const run = currentRun();
        if (!run.fixtures) throw new Error(NOT_DEPLOYED);
        await hook(this, run, run.fixtures);
      });
    }
    for (const { instances, body } of area.checks) {
      for (const instance of instances) if (selectedByFamily(instance, family)) registerCheck(mocha, instance, body);
    }
  });
}

function registerCheck(mocha: MochaRegistrar, instance: CheckInstance, body: CheckBody): void {
  const entry: RegisteredCheck = { instance, body, started: undefined };
  registered.set(instance.id, entry);
  mocha.it(checkTitle(instance), async function () {
    const run = currentRun();
    const record = await (entry.started ??= execute(run, entry));
    for (const line of record.lines) process.stdout.write(line);
    for (const observation of record.observations) addContext(this, observation);
    const error = record.outcome;
    if (error === undefined) return;
    if (error instanceof SkipSignal) {
      run.skipReasons.set(instance.id, error.reason);
      addContext(this, { title: 'skipped', value: error.reason });
      if (this.test) this.test.title = `${this.test.title} (skipped: ${error.reason})`;
      this.skip();
    }
    const failure = new CheckFailure(withFamilyAbsence(error.message, instance, run));
    // A verdict needs no stack trace; an unexpected error (a bug of ours) keeps its own for debugging.
    const expected = error instanceof CheckFailure || error instanceof TimeoutError;
    failure.stack = expected ? `${failure.name}: ${failure.message}` : `${failure.name}: ${failure.message}\n${error.stack ?? ''}`;
    throw failure;
  });
}
