// What the command-line tools print and how they end. Progress goes to stderr as "[tag] ..." lines (stdout is kept
// for results a script reads, such as an image reference); an entry point ends on an error in one line and a known
// exit code, never a stack trace for a problem the user can act on.
import { ConfigurationError } from './errors.ts';
import { CommandError } from './process.ts';

export type Log = (message: string) => void;

/** "[cluster] creating ..." on stderr. */
export function logger(tag: string): Log {
  return (message) => void process.stderr.write(`[${tag}] ${message}\n`);
}

/** How long each phase of a command took, printed as a table at its end. */
export class PhaseTimings {
  private readonly rows: [string, number][] = [];
  constructor(private readonly log: Log) {}

  async time<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      this.rows.push([phase, (Date.now() - start) / 1000]);
    }
  }

  print(): void {
    const total = this.rows.reduce((sum, [, seconds]) => sum + seconds, 0);
    this.log('timings:');
    for (const [phase, seconds] of [...this.rows, ['total', total] as [string, number]]) {
      this.log(`  ${phase.padEnd(20)} ${seconds.toFixed(1).padStart(7)} s`);
    }
  }
}

/**
 * The exit code an entry point ends with on an error, or undefined for a bug (which keeps its stack trace): a
 * configuration or usage problem is 2, a command that failed is 1 (its own status is in the message).
 */
export function exitCodeFor(error: unknown): number | undefined {
  if (error instanceof ConfigurationError) return 2;
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) return 2;
  if (error instanceof CommandError) return 1;
  return undefined;
}

/** Runs an entry point: exits with what main resolves to, or with exitCodeFor its error after one line "<name>: <message>". */
export function runMain(name: string, main: () => Promise<number>): void {
  // Through a promise, so that an error main throws before its first await ends the same way.
  Promise.resolve()
    .then(main)
    .then(
      (code) => process.exit(code),
      (error: unknown) => {
        const code = exitCodeFor(error);
        if (code === undefined) throw error;
        process.stderr.write(`${name}: ${(error as Error).message}\n`);
        process.exit(code);
      },
    );
}

/** "850ms", "1.5s", "3m", "2m30s": how bounds and waits read in messages and docs. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
