// The state of one run, shared in-process between whoever sets it up (the CLI, or the root hooks under plain mocha)
// and the checks (support/check.ts hands it to each check's context; spec files read no global). It only works if
// this module exists once per process: see the guard below.
import type { RunObjects } from './report/collect.ts';
import type { CleanupRegistry } from './cleanup.ts';
import type { ClusterInfo } from './cluster.ts';
import { parseCli, type RunConfig } from './config.ts';
import type { DeployedFixtures } from './deploy.ts';
import { ConfigurationError } from '../lib/errors.ts';
import type { Clients } from './k8s.ts';
import type { RunNamespaces } from './namespace.ts';

export interface Run {
  readonly config: RunConfig;
  readonly clients: Clients;
  readonly namespaces: RunNamespaces;
  readonly cleanup: CleanupRegistry;
  readonly cluster: ClusterInfo;
  /** Set by the root `before` once every fixture is created and every pod Ready. */
  fixtures: DeployedFixtures | undefined;
  /** The run's pods and Services as the checks left them (the report's picture), read by the first root `after`. */
  reportObjects?: RunObjects | undefined;
  /** Skip reasons by check id, for JUnit and summary.json (mocha's own skip carries no reason). */
  readonly skipReasons: Map<string, string>;
  /** How long each check's body ran, by id (checks run together, so mocha's own durations are waits). */
  readonly checkDurations: Map<string, number>;
  /** Ids of the checks mocha will run (after --grep and --family): the ones started at once after setup. */
  readonly selectedIds: ReadonlySet<string>;
}

/** What spec files need before any cluster exists: which checks to register. */
export interface Selection {
  readonly config: RunConfig;
  /** The environment's configuration was invalid (plain mocha): the root `before` fails with it. */
  readonly error?: ConfigurationError;
}

// A second copy of this module would give the specs a run nobody set up: it happens when a .ts file is compiled once
// for import() and again for require() (tsx's CommonJS hook, `node --import tsx`). So a second evaluation throws.
// mocha's loader tries require() first and falls back to import() when it throws, so even under that hook the spec
// files end up on the first copy; anything else that loads a second copy fails here, naming the fix.
const INSTANCE = Symbol.for('dualstack-conformance/support/run.ts');
const registry = globalThis as { [INSTANCE]?: string };
if (registry[INSTANCE] !== undefined) {
  throw new Error(
    `support/run.ts was loaded twice (${registry[INSTANCE]} and ${import.meta.url}): a second module graph; ` +
      'start node with --import tsx/esm (not tsx), as package.json and .mocharc.json do',
  );
}
registry[INSTANCE] = import.meta.url;

let selection: Selection | undefined;
let current: Run | undefined;

export function setSelection(value: Selection): void {
  selection = value;
}

/**
 * The CLI's selection; without the CLI (plain mocha), the environment's configuration (the DSC_* variables). An
 * invalid environment still registers every check, so the error surfaces once, in the root hook, as one line.
 */
export function currentSelection(): Selection {
  selection ??= selectionFromEnvironment(process.env);
  return selection;
}

export function selectionFromEnvironment(env: NodeJS.ProcessEnv): Selection {
  try {
    return { config: runConfigOf(parseCli([], env)) };
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return { config: runConfigOf(parseCli([], {})), error };
  }
}

function runConfigOf(request: ReturnType<typeof parseCli>): RunConfig {
  // No arguments never asks for help or the image list.
  if (request.action !== 'run') throw new Error(`internal: parseCli([]) returned ${request.action}`);
  return request.config;
}

export function setRun(run: Run): void {
  current = run;
}

export function currentRun(): Run {
  if (!current) throw new Error('no run in progress: the CLI or the root before hook sets it before any check');
  return current;
}

/** The run, if one was set up (hooks that must not fail when setup did not get that far). */
export function runInProgress(): Run | undefined {
  return current;
}
