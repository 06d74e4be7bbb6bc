// Root hooks, passed to mocha by the CLI: one `before` creates every fixture concurrently and waits once for all
// pods (so the specs share them and the suite stays fast); one `afterEach` attaches diagnostics to failed checks;
// one `after` stops the off-cluster client container (the run's cleanup registry is the backstop).
import addContext from 'mochawesome/addContext.js';
import { deployFixtures } from '../support/deploy.ts';
import { collectDiagnostics } from '../support/diagnostics.ts';
import { describeError } from '../support/errors.ts';
import { stopOffclusterClient } from '../support/offcluster.ts';
import { currentRun } from '../support/run.ts';

async function attachDiagnostics(context: Mocha.Context): Promise<void> {
  const run = currentRun();
  try {
    const diagnostics = await collectDiagnostics(run.clients, [run.namespaces.main, run.namespaces.host]);
    for (const diagnostic of diagnostics) addContext(context, diagnostic);
  } catch (error) {
    addContext(context, { title: 'diagnostics unavailable', value: String(error) });
  }
}

export const rootHooks: Mocha.RootHookObject = {
  beforeAll: [
    async function deployFixturesAndWaitForPods(this: Mocha.Context) {
      const run = currentRun();
      // The waits inside are bounded by the timeouts table; mocha's own timeout is only a backstop.
      this.timeout(run.config.timeouts.podReady + 60_000);
      try {
        run.fixtures = await deployFixtures(run.clients, run.namespaces, run.config);
      } catch (error) {
        await attachDiagnostics(this);
        throw error;
      }
    },
  ],
  afterAll: [
    async function stopOffclusterClientContainer(this: Mocha.Context) {
      const run = currentRun();
      this.timeout(run.config.timeouts.offclusterStart + 30_000);
      try {
        await stopOffclusterClient(run);
      } catch (error) {
        // Not thrown: the cleanup registry removes the container again and reports a failure there (exit 1).
        process.stderr.write(`stopping the off-cluster client failed: ${describeError(error)}\n`);
      }
    },
  ],
  afterEach: [
    async function attachDiagnosticsOnFailure(this: Mocha.Context) {
      // Never throw from here: a failing afterEach would stop every remaining check.
      if (this.currentTest?.state !== 'failed' || !currentRun().fixtures) return;
      this.timeout(60_000);
      await attachDiagnostics(this);
    },
  ],
};
