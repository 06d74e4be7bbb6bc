// `check(id, body)`: registers one mocha `it` for one catalog check. The title is `[id] sentence`; a failure of a
// check that needs a family the cluster lacks names that family; a skip carries its reason everywhere (console
// title, report context, JUnit, summary) and becomes a failure under --strict unless the capability was declared
// absent. A check needing a capability declared absent (--absent) is skipped before its body runs, whatever
// detection would find, so nothing is probed or started for it.
import addContext from 'mochawesome/addContext.js';
import { checkById, checkTitle, selectedByFamily, CAPABILITY_DESCRIPTIONS, type Capability, type CheckInstance } from './checks.ts';
import { declaredAbsentReason } from './config.ts';
import { TimeoutError } from './errors.ts';
import { familyAbsence } from './families.ts';
import { probeLineSink } from './probes/retry.ts';
import { currentRun, currentSelection } from './run.ts';

/** A failed check; its message lists every problem found, one per line. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

export interface CheckContext {
  readonly check: CheckInstance;
  /** Attaches what was observed (addresses, CIDRs, command output) to the report. */
  observe(title: string, value: unknown): void;
  /** Skips for a missing optional capability, with the reason. */
  skip(capability: Capability, reason: string): never;
  /** Fails with every problem listed; does nothing when there is none. */
  verdict(problems: readonly string[]): void;
}

class SkipSignal {
  constructor(readonly reason: string) {}
}

/** Capabilities the user declared absent (--absent, --lb-provider=none): their skips stay skips under --strict. */
function declaredAbsent(capability: Capability): boolean {
  return currentSelection().config.absent.includes(capability);
}

/**
 * "cluster has no IPv6: ..." for each family the check needs and the cluster lacks; "IPv6 missing on part of the
 * cluster ...: node w ..." when only some nodes lack it.
 */
function familyAbsences(check: CheckInstance): string[] {
  return check.requiresFamilies
    .map((family) => familyAbsence(currentRun().cluster.families, family))
    .filter((text) => text !== '');
}

/** Appends the family absences a failure message does not already state. */
function withFamilyAbsence(message: string, check: CheckInstance): string {
  const absences = familyAbsences(check).filter((text) => !message.includes(text));
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
  readonly body: (context: CheckContext) => Promise<void> | void;
  started: Promise<CheckRecord> | undefined;
}

const registered = new Map<string, RegisteredCheck>();

/** Runs a check's body with a context that records observations, and settles with what happened (never rejects). */
function execute(instance: CheckInstance, body: RegisteredCheck['body']): Promise<CheckRecord> {
  const lines: string[] = [];
  return probeLineSink.run(lines, () => executeBody(instance, body, lines));
}

async function executeBody(instance: CheckInstance, body: RegisteredCheck['body'], lines: readonly string[]): Promise<CheckRecord> {
  const observations: { title: string; value: unknown }[] = [];
  const context: CheckContext = {
    check: instance,
    observe: (title, value) => {
      observations.push({ title, value });
    },
    skip: (capability, reason) => {
      const { strict, absent } = currentSelection().config;
      const decision = decideSkip({ check: instance, capability, reason, familyAbsences: familyAbsences(instance), strict, declaredAbsent: absent });
      if (decision.kind === 'fail') throw new CheckFailure(decision.message);
      throw new SkipSignal(decision.reason);
    },
    verdict: (problems) => {
      if (problems.length > 0) throw new CheckFailure(problems.join('\n'));
    },
  };
  const started = Date.now();
  try {
    const absent = instance.skipsWithout.find(declaredAbsent);
    if (absent !== undefined) context.skip(absent, declaredAbsentReason(absent, currentSelection().config));
    await body(context);
    return { lines, observations, outcome: undefined };
  } catch (error) {
    return { lines, observations, outcome: error instanceof SkipSignal || error instanceof Error ? error : new Error(String(error)) };
  } finally {
    currentRun().checkDurations.set(instance.id, Date.now() - started);
  }
}

/**
 * Starts the body of every selected check at once, right after setup. The checks are independent (each waits on its
 * own probes, bounded by the timeouts table), so a silent path costs its bound once per run, not once per check; the
 * `it`s then report in catalog order. A check whose body must not overlap another's takes a lock (`exclusively`).
 */
export function startSelectedChecks(selectedIds: ReadonlySet<string>): void {
  for (const entry of registered.values()) {
    if (selectedIds.has(entry.instance.id)) entry.started ??= execute(entry.instance, entry.body);
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

export function check(id: string, body: (context: CheckContext) => Promise<void> | void): void {
  const instance = checkById(id);
  if (!selectedByFamily(instance, currentSelection().config.family)) return;
  const entry: RegisteredCheck = { instance, body, started: undefined };
  registered.set(id, entry);
  it(checkTitle(instance), async function () {
    const record = await (entry.started ??= execute(instance, body));
    for (const line of record.lines) process.stdout.write(line);
    for (const observation of record.observations) addContext(this, observation);
    const error = record.outcome;
    if (error === undefined) return;
    if (error instanceof SkipSignal) {
      currentRun().skipReasons.set(instance.id, error.reason);
      addContext(this, { title: 'skipped', value: error.reason });
      if (this.test) this.test.title = `${this.test.title} (skipped: ${error.reason})`;
      this.skip();
    }
    const failure = new CheckFailure(withFamilyAbsence(error.message, instance));
    // A verdict needs no stack trace; an unexpected error (a bug of ours) keeps its own for debugging.
    const expected = error instanceof CheckFailure || error instanceof TimeoutError;
    failure.stack = expected ? `${failure.name}: ${failure.message}` : `${failure.name}: ${failure.message}\n${error.stack ?? ''}`;
    throw failure;
  });
}
