// The check catalog, collected from the spec files in .mocharc.json's order (a unit test holds the two lists
// together): what --list prints, what docs/checks.md is generated from, what the expected-verdict table is keyed by.
// Importing it defines the checks without registering any mocha test (support/check.ts registers them only when
// mocha loads the suite), so it needs neither mocha nor a cluster. Never import it from code a run loads before
// mocha loads the spec files: they would then be defined outside mocha and run no test.
import { checkById, checkTitle, selectedByFamily, type CheckInstance, type SpecArea } from '../support/checks.ts';
// In .mocharc.json's order, so that the checks are defined in the order mocha reports them.
import { NODES } from './nodes.spec.ts';
import { PODS } from './pods.spec.ts';
import { SERVICE_CHECKS } from './services.spec.ts';
import { CONNECTIVITY, CONNECTIVITY_SCENARIOS } from './connectivity.spec.ts';
import { SESSION_AFFINITY } from './session-affinity.spec.ts';
import { ENDPOINT_UPDATES } from './endpoint-updates.spec.ts';
import { DNS } from './dns.spec.ts';
import { OFFCLUSTER } from './offcluster.spec.ts';
import { LOADBALANCER } from './loadbalancer.spec.ts';

/** Each spec file's area, with the file it comes from (relative to the project root), in run order. */
export const SPEC_FILES: readonly { readonly file: string; readonly area: SpecArea }[] = [
  { file: 'specs/nodes.spec.ts', area: NODES },
  { file: 'specs/pods.spec.ts', area: PODS },
  { file: 'specs/services.spec.ts', area: SERVICE_CHECKS },
  { file: 'specs/connectivity.spec.ts', area: CONNECTIVITY },
  { file: 'specs/session-affinity.spec.ts', area: SESSION_AFFINITY },
  { file: 'specs/endpoint-updates.spec.ts', area: ENDPOINT_UPDATES },
  { file: 'specs/dns.spec.ts', area: DNS },
  { file: 'specs/offcluster.spec.ts', area: OFFCLUSTER },
  { file: 'specs/loadbalancer.spec.ts', area: LOADBALANCER },
];

/** Every defined check (per-family ones once), in the order mocha reports them. */
export const CHECK_DEFINITIONS = SPEC_FILES.flatMap(({ area }) => area.checks);

/** Every check, per-family ones expanded, in the order mocha reports them. */
export const CHECKS: readonly CheckInstance[] = CHECK_DEFINITIONS.flatMap((defined) => defined.instances);

// The catalog's lookups (support/checks.ts), for code that reads the catalog without running it.
export { CONNECTIVITY_SCENARIOS, checkById, checkTitle, selectedByFamily };
