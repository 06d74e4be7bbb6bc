// Cleanup registered the moment something is created (before the create request is even sent), run once, newest
// first, at the end of the run, on SIGINT/SIGTERM or on a crash. What did not finish (failed, still running, not
// started when the cleanup deadline passed or a second signal abandoned it) is what the run leaves behind.
import { describeError } from '../lib/errors.ts';

/** Where what an action removes lives: in the cluster (the run's namespaces), or this host's docker. */
export type CleanupPlace = 'cluster' | 'docker';

export interface Leftover {
  readonly description: string;
  readonly place: CleanupPlace;
  readonly state: 'failed' | 'running' | 'not started';
}

interface CleanupAction {
  readonly description: string;
  readonly run: () => Promise<void>;
  readonly place: CleanupPlace;
}

export interface BoundedCleanup {
  /** One line per failed action, so far. */
  readonly failures: string[];
  /** False when the deadline passed first (actions may still be running or not started). */
  readonly finished: boolean;
}

export class CleanupRegistry {
  private readonly actions: CleanupAction[] = [];
  private readonly running = new Set<CleanupAction>();
  private readonly failed: { action: CleanupAction; failure: string }[] = [];
  private everything: Promise<string[]> | undefined;

  register(description: string, run: () => Promise<void>, place: CleanupPlace = 'cluster'): void {
    this.actions.push({ description, run, place });
  }

  /** What is not removed (yet): failed actions, the running one, those not started; in the order they run. */
  leftovers(): Leftover[] {
    const entry = (action: CleanupAction, state: Leftover['state']): Leftover => ({ description: action.description, place: action.place, state });
    return [
      ...this.failed.map(({ action }) => entry(action, 'failed')),
      ...[...this.running].map((action) => entry(action, 'running')),
      ...[...this.actions].reverse().map((action) => entry(action, 'not started')),
    ];
  }

  /** Runs every action once (later calls share the first run); resolves with one line per failed action. */
  runAll(): Promise<string[]> {
    this.everything ??= (async () => {
      while (this.actions.length > 0) {
        const action = this.actions.pop();
        if (!action) break;
        this.running.add(action);
        try {
          await action.run();
        } catch (error) {
          this.failed.push({ action, failure: `${action.description}: ${describeError(error)}` });
        } finally {
          this.running.delete(action);
        }
      }
      return this.failed.map(({ failure }) => failure);
    })();
    return this.everything;
  }

  /** runAll, waited for at most `deadlineMs`: past it, the failures so far and `finished: false`. */
  async runWithin(deadlineMs: number): Promise<BoundedCleanup> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), deadlineMs);
    });
    const failures = await Promise.race([this.runAll(), deadline]).finally(() => clearTimeout(timer));
    return failures ? { failures, finished: true } : { failures: this.failed.map(({ failure }) => failure), finished: false };
  }
}
