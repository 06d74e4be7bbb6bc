// What a check is, and how the catalog is collected: each spec file defines its checks with `check()` and
// `perFamily()` (id, catalog entry and body together) and groups them with `checkArea()`; the catalog (--list,
// docs/checks.md, the expected-verdict keys, reports) is what the spec files define, in .mocharc.json's order
// (specs/catalog.ts). The stable ids are what reports, summary.json and selftest's expected-verdict table are keyed by.
//
// A per-family check expands to one check per family (`conn.clusterip` -> `conn.clusterip.ipv4`,
// `conn.clusterip.ipv6`); each such check needs its own family. `requires: 'both'` checks need both families;
// `requires: 'none'` checks judge something every cluster must get right, single-stack or not.
import type { CheckContext, FamilyCheckContext } from './check.ts';
import { ALL_FAMILIES, familySlug, type IpFamily } from '../lib/ip.ts';

export type CheckArea = 'nodes' | 'pods' | 'services' | 'connectivity' | 'dns' | 'offcluster' | 'loadbalancer';

/**
 * Optional capabilities: the only reasons a check may be skipped (and which --strict turns into failures, unless the
 * capability is declared absent with --absent).
 */
export type Capability = 'node-ipam' | 'multiple-nodes' | 'lb-provider' | 'api-served' | 'offcluster-network';

export const CAPABILITY_DESCRIPTIONS: Readonly<Record<Capability, string>> = {
  'node-ipam': 'node IPAM (nodes carry spec.podCIDRs; some CNIs allocate pod addresses themselves)',
  'multiple-nodes': 'two or more schedulable nodes',
  'lb-provider': 'a LoadBalancer provider (cloud controller, MetalLB, ...); declare it absent with --absent lb-provider (alias --lb-provider=none)',
  'api-served': 'an API field or resource this Kubernetes version may not serve',
  'offcluster-network':
    'a docker network the nodes are reachable on, for an off-cluster client container of the agnhost image (found when the nodes are containers on a docker network, as with kind; else named with --offcluster-network); declare it absent with --absent offcluster-network (e.g. a cloud cluster)',
};

/** A check's catalog entry, as its spec file writes it next to the body. */
interface CatalogEntry {
  /** Sentence after the id; `{family}` is replaced by IPv4/IPv6 in per-family checks. */
  readonly title: string;
  /** What exactly is judged, for the catalog. */
  readonly verifies: string;
  /** The step of the "Validate IPv4/IPv6 dual-stack" page this automates, or null when it goes beyond the page. */
  readonly pageStep: string | null;
  /** The closest upstream e2e test (test/e2e/network), or null when upstream has none. */
  readonly upstream: string | null;
  /** Likely causes and fixes when it fails. */
  readonly causes: readonly string[];
  /** Optional capabilities whose absence skips the check (with the reason). */
  readonly skipsWithout?: readonly Capability[];
}

/**
 * `requires: 'both'` on a per-family check: each instance judges one family, but of a fixture only a dual-stack
 * cluster can have (a RequireDualStack Service), so each needs both families.
 */
export type PerFamilyEntry = CatalogEntry & { readonly requires?: 'both' };
export type FamilyIndependentEntry = CatalogEntry & { readonly requires: 'both' | 'none' | IpFamily };

type DeclaredSpec =
  | (PerFamilyEntry & { readonly id: string; readonly perFamily: true })
  | (FamilyIndependentEntry & { readonly id: string; readonly perFamily: false });

export type CheckSpec = DeclaredSpec & { readonly area: CheckArea };

export interface CheckInstance {
  readonly id: string;
  readonly baseId: string;
  readonly area: CheckArea;
  /** Set on per-family checks. */
  readonly family: IpFamily | undefined;
  /** Families the cluster must have for this check to pass; empty for family-independent checks. */
  readonly requiresFamilies: readonly IpFamily[];
  readonly title: string;
  readonly verifies: string;
  readonly pageStep: string | null;
  readonly upstream: string | null;
  readonly causes: readonly string[];
  readonly skipsWithout: readonly Capability[];
}

export type CheckBody = (t: CheckContext) => Promise<void> | void;

/** A check as its spec file declares it; its area comes from the `checkArea` it is listed in. */
export interface CheckDeclaration {
  readonly spec: DeclaredSpec;
  readonly body: CheckBody;
}

/** A family-independent check: `check('node.internalip.families', { title, ..., requires: 'both' }, body)`. */
export function check(id: string, entry: FamilyIndependentEntry, body: CheckBody): CheckDeclaration {
  return { spec: { ...entry, id, perFamily: false }, body };
}

/** One check per family (`<id>.ipv4`, `<id>.ipv6`); the body reads its family from `t.family`. */
export function perFamily(id: string, entry: PerFamilyEntry, body: (t: FamilyCheckContext) => Promise<void> | void): CheckDeclaration {
  return {
    spec: { ...entry, id, perFamily: true },
    body: (t) => {
      const { family } = t.check;
      if (family === undefined) throw new Error(`internal: ${t.check.id} runs without its family`);
      return body({ ...t, family });
    },
  };
}

/** A defined check: its catalog entry, its instances (one per family when per-family) and its body. */
export interface DefinedCheck {
  readonly spec: CheckSpec;
  readonly instances: readonly CheckInstance[];
  readonly body: CheckBody;
}

/** Run state a describe-level `before` needs, passed by the registration (support/check.ts). */
export type AreaHook = (context: Mocha.Context, run: CheckContext['run'], fixtures: CheckContext['fixtures']) => Promise<void>;

/** One spec file's checks: mocha's describe title, and the checks in the order mocha reports them. */
export interface SpecArea {
  readonly title: string;
  readonly checks: readonly DefinedCheck[];
  /** Runs when mocha reaches the describe (the checks themselves start earlier, all at once). */
  readonly before?: AreaHook;
}

export function expandCheck(spec: CheckSpec): CheckInstance[] {
  const fill = (text: string, family: IpFamily | undefined): string => (family ? text.replaceAll('{family}', family) : text);
  const base = {
    baseId: spec.id,
    area: spec.area,
    pageStep: spec.pageStep,
    upstream: spec.upstream,
    skipsWithout: spec.skipsWithout ?? [],
  };
  if (spec.perFamily) {
    return ALL_FAMILIES.map((family) => ({
      ...base,
      id: `${spec.id}.${familySlug(family)}`,
      family,
      requiresFamilies: spec.requires === 'both' ? [...ALL_FAMILIES] : [family],
      title: fill(spec.title, family),
      verifies: fill(spec.verifies, family),
      causes: spec.causes.map((cause) => fill(cause, family)),
    }));
  }
  const requiresFamilies: IpFamily[] =
    spec.requires === 'both' ? [...ALL_FAMILIES] : spec.requires === 'none' ? [] : [spec.requires];
  return [{ ...base, id: spec.id, family: undefined, requiresFamilies, title: spec.title, verifies: spec.verifies, causes: spec.causes }];
}

const defined: CheckInstance[] = [];
const byId = new Map<string, CheckInstance>();

/**
 * Every check of the spec modules loaded so far, in load order: the whole catalog once the spec files are loaded
 * (by mocha, or by specs/catalog.ts for --list, the docs and the unit tests).
 */
export const CHECKS: readonly CheckInstance[] = defined;

/** Groups a spec file's checks under `area` and adds them to the catalog; an id defined twice is a bug of ours. */
export function checkArea(area: CheckArea, title: string, declarations: readonly CheckDeclaration[], before?: AreaHook): SpecArea {
  const checks = declarations.map(({ spec, body }) => {
    const full: CheckSpec = { ...spec, area };
    return { spec: full, instances: expandCheck(full), body };
  });
  for (const instance of checks.flatMap((entry) => entry.instances)) {
    if (byId.has(instance.id)) throw new Error(`check id "${instance.id}" is defined twice`);
    byId.set(instance.id, instance);
    defined.push(instance);
  }
  return before ? { title, checks, before } : { title, checks };
}

export function checkById(id: string): CheckInstance {
  const instance = byId.get(id);
  if (!instance) throw new Error(`unknown check id "${id}" (no spec file defines it)`);
  return instance;
}

/** The `it` title: the stable id in brackets, then the sentence. */
export function checkTitle(instance: CheckInstance): string {
  return `[${instance.id}] ${instance.title}`;
}

/** The check id at the start of a test title, or undefined. */
export function checkIdOfTitle(title: string): string | undefined {
  if (!title.startsWith('[')) return undefined;
  const close = title.indexOf(']');
  const id = close > 1 ? title.slice(1, close) : undefined;
  return id !== undefined && byId.has(id) ? id : undefined;
}

/** Whether a `--family` selection runs this check: family-independent checks and checks of that family only. */
export function selectedByFamily(instance: CheckInstance, family: IpFamily | undefined): boolean {
  if (family === undefined) return true;
  return instance.requiresFamilies.every((required) => required === family);
}

export function familyDependent(instance: CheckInstance): boolean {
  return instance.requiresFamilies.length > 0;
}
