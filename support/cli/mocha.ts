// mocha driven in-process through its programmatic API (mocha's own CLI exits with the failure count and its
// re-spawn loses signals): what runs is .mocharc.json's (spec files, root hooks, timeout), the same plain `mocha` runs,
// reported by mochawesome.
import Mocha from 'mocha';
import type { CheckInstance } from '../checks.ts';
import type { RunConfig } from '../config.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import { selectedChecks, testBackstopMs, unregisteredChecks } from '../lifecycle.ts';
import { selectionPattern } from '../listing.ts';
import { loadRootHooks, loadSpecs, readMocharc } from '../mocharc.ts';
import type { ResultCollector } from '../results.ts';
import type { RunControl } from './control.ts';

export interface LoadedSuite {
  readonly mocha: Mocha;
  /** The checks this run selects, in catalog order: known before any cluster is touched. */
  readonly selected: CheckInstance[];
}

/** The specs loaded with the run's selection (--grep, --skip); none selected is a configuration error. */
export async function loadSuite(config: RunConfig, partial: string | undefined): Promise<LoadedSuite> {
  const grep = selectionPattern(config);
  const mocharc = readMocharc();
  const mocha = new Mocha({
    reporter: 'mochawesome',
    reporterOptions: {
      reportDir: config.reportsDir,
      reportFilename: 'dualstack-conformance',
      reportTitle: `dualstack-conformance${partial ? ' (PARTIAL)' : ''}${config.absent.length > 0 ? ` (declared absent: ${config.absent.join(', ')})` : ''}`,
      reportPageTitle: 'dualstack-conformance',
      inline: true,
      charts: false,
      code: false,
      quiet: true,
      json: true,
      html: true,
      consoleReporter: 'spec',
    },
    // .mocharc.json's backstop, raised when the timeouts table (DSC_TIMEOUT_*) needs more.
    timeout: Math.max(mocharc.timeout, testBackstopMs(config)),
    rootHooks: await loadRootHooks(mocharc.require),
    ...(grep ? { grep } : {}),
  });
  await loadSpecs(mocha, mocharc);
  const missing = unregisteredChecks(mocha.suite, config);
  if (missing.length > 0) throw new Error(`catalog checks without a spec: ${missing.join(', ')}`);
  const selected = selectedChecks(mocha.suite, grep ? (title) => grep.test(title) : undefined);
  if (selected.length === 0) {
    throw new ConfigurationError(`no check selected (${partial ?? 'no selection'}); check ids are listed in docs/checks.md`);
  }
  return { mocha, selected };
}

/**
 * Runs the checks to their end, results into `collector`; returns the configuration error a root hook met (an image
 * that cannot be pulled, a malformed fixture), if any.
 */
export async function runChecks(mocha: Mocha, control: RunControl, collector: ResultCollector): Promise<string | undefined> {
  let configurationFailure: string | undefined;
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    control.runner = runner;
    collector.attach(runner);
    runner.on('fail', (test, error) => {
      const runnable: { type?: string } = test;
      if (runnable.type === 'hook' && error instanceof ConfigurationError) configurationFailure = error.message;
    });
  });
  return configurationFailure;
}
