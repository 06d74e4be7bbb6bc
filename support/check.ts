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

export function check(id: string, body: (context: CheckContext) => Promise<void> | void): void {
  const instance = checkById(id);
  if (!selectedByFamily(instance, currentSelection().config.family)) return;
  it(checkTitle(instance), async function () {
    const context: CheckContext = {
      check: instance,
      observe: (title, value) => {
        addContext(this, { title, value });
      },
      skip: (capability, reason) => {
        if (!instance.skipsWithout.includes(capability)) {
          throw new CheckFailure(`internal: ${instance.id} may not skip for ${capability} (${reason})`);
        }
        // The family rule outranks optional capabilities: without a family it needs, the check fails, naming it.
        const absences = familyAbsences(instance);
        if (absences.length > 0) throw new CheckFailure(`${absences.join('\n')}\n(besides: ${reason})`);
        if (currentSelection().config.strict && !declaredAbsent(capability)) {
          throw new CheckFailure(`--strict: would skip (${reason}); needs ${CAPABILITY_DESCRIPTIONS[capability]}`);
        }
        throw new SkipSignal(reason);
      },
      verdict: (problems) => {
        if (problems.length > 0) throw new CheckFailure(problems.join('\n'));
      },
    };
    try {
      const absent = instance.skipsWithout.find(declaredAbsent);
      if (absent !== undefined) context.skip(absent, declaredAbsentReason(absent));
      await body(context);
    } catch (error) {
      if (error instanceof SkipSignal) {
        currentRun().skipReasons.set(instance.id, error.reason);
        addContext(this, { title: 'skipped', value: error.reason });
        if (this.test) this.test.title = `${this.test.title} (skipped: ${error.reason})`;
        this.skip();
      }
      const message = error instanceof Error ? error.message : String(error);
      const failure = new CheckFailure(withFamilyAbsence(message, instance));
      // A verdict needs no stack trace; an unexpected error (a bug of ours) keeps its own for debugging.
      const expected = error instanceof CheckFailure || error instanceof TimeoutError;
      failure.stack = expected || !(error instanceof Error) ? `${failure.name}: ${failure.message}` : `${failure.name}: ${failure.message}\n${error.stack ?? ''}`;
      throw failure;
    }
  });
}
