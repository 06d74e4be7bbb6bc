// One way to run named cases, for selftest, its robustness and fault phases and the cluster's smoke test: each case
// says in one line what it saw (or throws with what it observed instead), is timed, and is recorded for the summary
// and the last line CI reads ("selftest: N passed, M failed").

/** A named case: resolves with a detail line, or throws with what was observed. */
export interface NamedCase {
  readonly name: string;
  readonly fn: () => Promise<string>;
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly detail: string;
}

export interface CaseRunnerOptions {
  /** Names the runner's lines ("[label] ...") and its last line ("label: N passed, M failed"). */
  readonly label: string;
  /** Substrings of case names; when given, runAll runs only the cases whose name contains one of them. */
  readonly only?: readonly string[];
  /** Where lines go (default: stdout). */
  readonly write?: (text: string) => void;
  /** Milliseconds now (default: Date.now), so that tests can time cases. */
  readonly now?: () => number;
}

export class CaseRunner {
  readonly results: CaseResult[] = [];
  private readonly write: (text: string) => void;
  private readonly now: () => number;
  private readonly started: number;

  constructor(private readonly options: CaseRunnerOptions) {
    this.write = options.write ?? ((text) => void process.stdout.write(text));
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** One line under the runner's label. */
  say(message: string): void {
    this.write(`[${this.options.label}] ${message}\n`);
  }

  /** The cases the --only substrings select (all of them without any). */
  select<T extends NamedCase>(cases: readonly T[]): T[] {
    const only = this.options.only;
    return only && only.length > 0 ? cases.filter((c) => only.some((text) => c.name.includes(text))) : [...cases];
  }

  /** Runs one case whatever the selection, records and prints its outcome; true when it passed. */
  async run(c: NamedCase): Promise<boolean> {
    this.say(`--- ${c.name}`);
    const start = this.now();
    let ok = true;
    let detail: string;
    try {
      detail = await c.fn();
    } catch (error) {
      ok = false;
      detail = error instanceof Error ? error.message : String(error);
    }
    const result: CaseResult = { name: c.name, ok, seconds: (this.now() - start) / 1000, detail };
    this.results.push(result);
    this.say(`${ok ? 'PASS' : 'FAIL'} ${c.name} (${result.seconds.toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
    return ok;
  }

  /** Runs the selected cases one after the other; true when every one of them passed. */
  async runAll(cases: readonly NamedCase[]): Promise<boolean> {
    let ok = true;
    for (const c of this.select(cases)) ok = (await this.run(c)) && ok;
    return ok;
  }

  get failed(): number {
    return this.results.filter((r) => !r.ok).length;
  }

  /** The summary (a row per case unless `table` is false, the total time and `note`), then the last line; the exit code. */
  finish(options: { readonly table?: boolean; readonly note?: string } = {}): number {
    if (options.table ?? true) {
      this.say('summary:');
      for (const r of this.results) this.say(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(72)} ${r.seconds.toFixed(1).padStart(7)} s`);
      this.say(`total ${((this.now() - this.started) / 1000).toFixed(0)} s${options.note ? `; ${options.note}` : ''}`);
    }
    this.write(`${this.options.label}: ${this.results.length - this.failed} passed, ${this.failed} failed\n`);
    return this.failed === 0 ? 0 : 1;
  }
}
