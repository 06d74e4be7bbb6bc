// The state of one run, shared in-process between the CLI (which sets it up) and the spec files (which read it).
// Mocha runs in the CLI's own process, so this module instance is the same for both.
import type { CleanupRegistry } from './cleanup.ts';
import type { ClusterInfo } from './cluster.ts';
import type { RunConfig } from './config.ts';
import type { DeployedFixtures } from './deploy.ts';
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
  /** Skip reasons by check id, for JUnit and summary.json (mocha's own skip carries no reason). */
  readonly skipReasons: Map<string, string>;
}

/** What spec files need before any cluster exists: which checks to register. */
export interface Selection {
  readonly config: RunConfig;
}

let selection: Selection | undefined;
let current: Run | undefined;

export function setSelection(value: Selection): void {
  selection = value;
}

export function currentSelection(): Selection {
  if (!selection) throw new Error('spec files were loaded outside the dualstack-conformance CLI (no selection set)');
  return selection;
}

export function setRun(run: Run): void {
  current = run;
}

export function currentRun(): Run {
  if (!current) throw new Error('no run in progress: the CLI sets it before mocha runs');
  return current;
}

export function deployed(): DeployedFixtures {
  const fixtures = currentRun().fixtures;
  if (!fixtures) throw new Error('fixtures are not deployed: the root before hook failed or did not run');
  return fixtures;
}
