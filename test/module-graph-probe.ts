// Spawned by test/module-graph.test.ts under each launcher: loads the suite exactly as the CLI does (.mocharc.json's
// root hooks and specs, through mocha) after setting a selection the specs can only see if they share this process's
// support/run.ts. Prints one JSON line: what the specs registered and what they should have.
import Mocha from 'mocha';
import { CHECKS, selectedByFamily } from '../support/checks.ts';
import { selectedChecks } from '../support/lifecycle.ts';
import { loadRootHooks, loadSpecs, readMocharc } from '../support/mocharc.ts';
import { selectionFromEnvironment, setSelection } from '../support/run.ts';

const { config } = selectionFromEnvironment({});
// --family ipv6: specs that see this selection register IPv6 and family-independent checks only; specs on a second
// copy of support/run.ts would fall back to the environment (no family) and register all of them.
setSelection({ config: { ...config, family: 'IPv6' } });
const mocharc = readMocharc();
const mocha = new Mocha({ rootHooks: await loadRootHooks(mocharc.require), timeout: mocharc.timeout });
await loadSpecs(mocha, mocharc);
const registered = selectedChecks(mocha.suite).map((check) => check.id);
const expected = CHECKS.filter((check) => selectedByFamily(check, 'IPv6')).map((check) => check.id);
process.stdout.write(`${JSON.stringify({ registered, expected, all: CHECKS.length })}\n`);
