// Cleanup registered the moment something is created (before the create request is even sent), run once, newest
// first, at the end of the run or on SIGINT/SIGTERM.
import { describeError } from './errors.ts';

interface CleanupAction {
  readonly description: string;
  readonly run: () => Promise<void>;
}

export class CleanupRegistry {
  private readonly actions: CleanupAction[] = [];
  private running: Promise<string[]> | undefined;

  register(description: string, run: () => Promise<void>): void {
    this.actions.push({ description, run });
  }

  get pending(): readonly string[] {
    return this.actions.map((action) => action.description);
  }

  /** Runs every action once (later calls share the first run); resolves with one line per failed action. */
  runAll(): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      while (this.actions.length > 0) {
        const action = this.actions.pop();
        if (!action) break;
        try {
          await action.run();
        } catch (error) {
          failures.push(`${action.description}: ${describeError(error)}`);
        }
      }
      return failures;
    })();
    return this.running;
  }
}
