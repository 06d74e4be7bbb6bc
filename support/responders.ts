// Who must answer a probed path, and how their answers are judged: a path passes only when every expected
// responder has answered (collected across attempts), session affinity when one backend answers every request, an
// endpoint removal when only the remaining backend does.
import type { V1Pod } from '@kubernetes/client-node';
import { podName, type PlannedProbe } from './connectivity.ts';
import { FAILED_REQUEST, tallyAnswers } from './probes/burst.ts';
import type { GroupTarget } from './probes/from-pod.ts';
import type { ProbeOutcome, ProbeSource } from './probes/retry.ts';

/**
 * Every backend, not the first: answers are collected across attempts and a path passes only when each expected
 * responder has answered at least once (upstream's EndpointHostnames rule). With two backends behind kube-proxy, a
 * path that reaches only half of them would otherwise pass almost always. `where` names each responder's node.
 */
export class ResponderCollector {
  private readonly answered = new Set<string>();
  private readonly strangers = new Set<string>();

  constructor(
    readonly responders: readonly string[],
    private readonly where: Readonly<Record<string, string>> = {},
  ) {}

  /** Records one answer; the problem still standing after it, or undefined once every responder has answered. */
  readonly accept = (answer: string): string | undefined => {
    if (this.responders.includes(answer)) this.answered.add(answer);
    else this.strangers.add(answer);
    return this.problem();
  };

  problem(): string | undefined {
    const missing = this.responders.filter((name) => !this.answered.has(name));
    const problems: string[] = [];
    if (this.strangers.size > 0) {
      problems.push(`answered by ${[...this.strangers].map((name) => `"${name}"`).join(', ')}, not ${this.responders.length === 1 ? 'the expected responder' : 'a backend of this path'}`);
    }
    if (missing.length > 0) {
      const seen = this.answered.size > 0 ? `answered by ${[...this.answered].join(', ')}; ` : '';
      problems.push(`${seen}never answered: ${missing.map((name) => (this.where[name] ? `${name} (on ${this.where[name]})` : name)).join(', ')}`);
    }
    return problems.length > 0 ? problems.join('; ') : undefined;
  }

  /** A failed probe's last detail (e.g. a timeout) with who answered and who never did, when it does not say so. */
  explain(detail: string): string {
    const standing = this.problem();
    return standing === undefined || detail.includes(standing) ? detail : `${detail}; ${standing}`;
  }

  /** "backend-a, backend-b": who answered so far, for the probe line. */
  describe(): string {
    return [...this.answered].join(', ') || 'nobody';
  }
}

/** Client-IP session affinity: all `count` requests of one client answered, all by one backend. */
export function judgeAffinity(answers: readonly string[], count: number, backends: readonly string[]): string | undefined {
  if (answers.length < count || answers.includes(FAILED_REQUEST)) return `${tallyAnswers(answers)} of ${count} requests; every request must be answered`;
  const distinct = [...new Set(answers)];
  if (distinct.length > 1) return `${count} requests from one client answered by ${tallyAnswers(answers)}; expected one backend (sessionAffinity: ClientIP)`;
  const [only = ''] = distinct;
  return backends.includes(only) ? undefined : `answered by "${only}", not a backend of this Service`;
}

/** After a backend was removed: all of the last `count` requests answered by the remaining one only. */
export function judgeOnlyRemaining(answers: readonly string[], count: number, remaining: string, removed: string): string | undefined {
  if (answers.length < count || answers.includes(FAILED_REQUEST)) return `${tallyAnswers(answers)} of ${count} requests; every request must be answered`;
  const strays = answers.filter((answer) => answer !== remaining);
  if (strays.length === 0) return undefined;
  const stillRemoved = strays.includes(removed) ? `; ${removed} still answers after it was removed` : '';
  return `${count} requests answered by ${tallyAnswers(answers)}; expected ${remaining} only${stillRemoved}`;
}

/** Each responder's node, for messages that say where a silent backend runs. */
export function nodesOfPods(pods: readonly V1Pod[]): Record<string, string> {
  return Object.fromEntries(pods.map((pod) => [podName(pod), pod.spec?.nodeName ?? '?']));
}

/** A probe's outcome once every responder was awaited, and its line for the report. */
export interface EveryResponderOutcome {
  /** The outcome; a failure's detail also says who answered and who never did. */
  readonly outcome: ProbeOutcome;
  /** `src (ip) -> dst ([ip]:port): ok, answered by a, b` or `...: FAILED: <detail>`. */
  readonly observed: string;
}

/**
 * Runs one retrying probe (in-cluster or off-cluster) until each responder has answered: the one place where a path's
 * answers are collected and judged, so every Service path applies the same rule.
 */
export async function untilEveryResponder(
  responders: readonly string[],
  where: Readonly<Record<string, string>>,
  probe: (accept: (answer: string) => string | undefined) => Promise<ProbeOutcome>,
): Promise<EveryResponderOutcome> {
  const collector = new ResponderCollector(responders, where);
  return judgedByCollector(collector, await probe(collector.accept));
}

function judgedByCollector(collector: ResponderCollector, raw: ProbeOutcome): EveryResponderOutcome {
  const outcome = raw.ok ? raw : { ...raw, detail: collector.explain(raw.detail) };
  return { outcome, observed: `${outcome.line}: ${outcome.ok ? `ok, answered by ${collector.describe()}` : `FAILED: ${outcome.detail}`}` };
}

/**
 * untilEveryResponder for every probe of a plan, the probes of one source sent together (one exec per attempt for
 * all its destinations, `probeGroup`); outcomes in the order of `probes`.
 */
export async function untilEveryResponderBySource(
  probes: readonly PlannedProbe[],
  where: Readonly<Record<string, string>>,
  probeGroup: (source: ProbeSource, targets: GroupTarget[], protocol: PlannedProbe['protocol']) => Promise<ProbeOutcome[]>,
): Promise<EveryResponderOutcome[]> {
  const collectors = probes.map((probe) => new ResponderCollector(probe.responders, where));
  const groups = new Map<string, number[]>();
  probes.forEach((probe, index) => {
    const key = `${podName(probe.source.pod)} ${probe.source.address} ${probe.protocol}`;
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const outcomes: EveryResponderOutcome[] = [];
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const first = probes[indexes[0]!]!;
      const targets = indexes.map((index) => ({ destination: probes[index]!.destination, accept: collectors[index]!.accept }));
      const raw = await probeGroup(first.source, targets, first.protocol);
      indexes.forEach((index, position) => {
        outcomes[index] = judgedByCollector(collectors[index]!, raw[position]!);
      });
    }),
  );
  return outcomes;
}
