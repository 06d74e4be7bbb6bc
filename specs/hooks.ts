// Root hooks (mocha's root-hook plugin: .mocharc.json `require`s this file; the CLI reads the same entry). One
// `before` creates every fixture concurrently, waits once for all pods (so the specs share them), then starts every
// selected check at once (each reports when mocha reaches it); one `afterEach` attaches diagnostics to failed checks;
// `after` records the run's objects for the report's picture, stops the off-cluster client and deletes the
// LoadBalancer Services (even with --keep-on-failure).
// Under the CLI, the CLI has prepared the run and tears it down itself. Under plain mocha nobody has: the `before`
// first does what the CLI does (support/lifecycle.ts, the same code) and the last `after` runs the cleanup registry.
import addContext from 'mochawesome/addContext.js';
import { acceptSpecRegistrations, startSelectedChecks } from '../support/check.ts';
import { CleanupRegistry } from '../support/cleanup.ts';
import { deployFixtures } from '../support/deploy.ts';
import { collectDiagnostics } from '../support/diagnostics.ts';
import { describeError, InterruptedError } from '../lib/errors.ts';
import { deleteLoadBalancerServices, loadBalancerSourceRanges } from '../support/exposure.ts';
import { listRunObjects } from '../support/report/collect.ts';
import {
  fixturesBackstopMs,
  prepareRunUnderMocha,
  setupBackstopMs,
  teardownBackstopMs,
  testBackstopMs,
} from '../support/lifecycle.ts';
import { stopOffclusterClient } from '../support/offcluster/client.ts';
import { offclusterNetwork } from '../support/offcluster/network.ts';
import { currentSelection, runInProgress, type Run } from '../support/run.ts';
import { tearDownRun } from '../support/teardown.ts';

// mocha loads this file before the spec files (the CLI does the same): from now on they register their checks.
acceptSpecRegistrations();

/** Set only when these hooks prepared the run (plain mocha): then they own its teardown. */
let ownedCleanup: CleanupRegistry | undefined;

async function attachDiagnostics(context: Mocha.Context, run: Run): Promise<void> {
  try {
    const diagnostics = await collectDiagnostics(run.clients, [run.namespaces.main, run.namespaces.host]);
    for (const diagnostic of diagnostics) addContext(context, diagnostic);
  } catch (error) {
    addContext(context, { title: 'diagnostics unavailable', value: String(error) });
  }
}

function rootSuiteOf(context: Mocha.Context): Mocha.Suite {
  let suite = context.test?.parent;
  while (suite?.parent) suite = suite.parent;
  if (!suite) throw new Error('internal: a root hook without a suite');
  return suite;
}

export const mochaHooks: Mocha.RootHookObject = {
  beforeAll: [
    async function prepareRunAndDeployFixtures(this: Mocha.Context) {
      // The waits inside are bounded by the timeouts table; mocha's own timeout is only a backstop.
      let run = runInProgress();
      if (!run) {
        const { config, error } = currentSelection();
        if (error) throw error;
        this.timeout(setupBackstopMs(config) + fixturesBackstopMs(config));
        ownedCleanup = new CleanupRegistry();
        run = await prepareRunUnderMocha(rootSuiteOf(this), ownedCleanup);
        // Interrupted: the signal handler tears down and exits; no check should start meanwhile.
        if (!run) throw new InterruptedError('interrupted during setup');
      } else {
        this.timeout(fixturesBackstopMs(run.config));
      }
      try {
        const nodeNames = run.cluster.selectedNodes.map((node) => node.metadata?.name ?? '?');
        const sourceRanges = async () => loadBalancerSourceRanges(await offclusterNetwork(run));
        run.fixtures = await deployFixtures(run.clients, run.namespaces, run.config, nodeNames, sourceRanges);
      } catch (error) {
        await attachDiagnostics(this, run);
        throw error;
      }
      startSelectedChecks(run);
    },
  ],
  beforeEach: [
    function raiseTimeoutToTheTable(this: Mocha.Context) {
      // A DSC_TIMEOUT_* raised past the configured backstop must not be cut short by mocha (0: timeouts disabled).
      const test = this.currentTest;
      const run = runInProgress();
      if (!test || !run || test.timeout() === 0) return;
      test.timeout(Math.max(test.timeout(), testBackstopMs(run.config)));
    },
  ],
  afterAll: [
    async function recordObjectsForTheReport(this: Mocha.Context) {
      // Before anything is deleted (the LoadBalancer Services below): the report's picture shows them as probed.
      const run = runInProgress();
      if (!run?.fixtures) return;
      this.timeout(run.config.timeouts.apiRequest + 10_000);
      run.reportObjects = await listRunObjects(run.clients, run.namespaces, run.fixtures, run.config.timeouts.apiRequest);
    },
    async function stopOffclusterClientContainer(this: Mocha.Context) {
      const run = runInProgress();
      if (!run) return;
      this.timeout(run.config.timeouts.offclusterStart + 30_000);
      try {
        await stopOffclusterClient(run);
      } catch (error) {
        // Not thrown: the cleanup registry removes the container again and reports a failure there (exit 1).
        process.stderr.write(`stopping the off-cluster client failed: ${describeError(error)}\n`);
      }
    },
    async function tearDownOwnedRun(this: Mocha.Context) {
      if (!ownedCleanup) return;
      this.timeout(teardownBackstopMs(currentSelection().config));
      const failures = await tearDownRun(ownedCleanup);
      if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join('; ')}`);
    },
    async function deleteLoadBalancers(this: Mocha.Context) {
      // Never kept, not even with --keep-on-failure: they are what a network outside the cluster reaches. Last, so
      // a failure here (a hook failure in the reports) skips no other teardown.
      const run = runInProgress();
      if (!run) return;
      this.timeout(run.config.timeouts.loadBalancer + 30_000);
      const namespaces = [run.namespaces.main, run.namespaces.host];
      try {
        const deleted = await deleteLoadBalancerServices(run.clients, namespaces, run.config.timeouts.loadBalancer);
        if (deleted.length > 0) process.stdout.write(`    LoadBalancer Services deleted after the checks: ${deleted.join(', ')}\n`);
      } catch (error) {
        process.stderr.write(`deleting the LoadBalancer Services of ${namespaces.join(', ')} failed: ${describeError(error)}\n`);
        throw error;
      }
    },
  ],
  afterEach: [
    async function attachDiagnosticsOnFailure(this: Mocha.Context) {
      // Never throw from here: a failing afterEach would stop every remaining check.
      const run = runInProgress();
      if (this.currentTest?.state !== 'failed' || !run?.fixtures) return;
      this.timeout(60_000);
      await attachDiagnostics(this, run);
    },
  ],
};
