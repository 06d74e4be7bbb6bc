// Renders docs/checks.md from the checks the spec files define (specs/catalog.ts), so the document can never drift
// from what the specs run.
import { CAPABILITY_DESCRIPTIONS, type CheckArea, type DefinedCheck } from './checks.ts';

const AREA_TITLES: Readonly<Record<CheckArea, string>> = {
  nodes: 'Nodes',
  pods: 'Pods',
  services: 'Services',
  connectivity: 'Connectivity',
  dns: 'DNS',
  offcluster: 'Off-cluster',
  loadbalancer: 'LoadBalancer',
};

export function renderChecksMarkdown(definitions: readonly DefinedCheck[]): string {
  const lines: string[] = [
    '# Check catalog',
    '',
    '<!-- Generated from the spec files (specs/catalog.ts) by `npm run docs:checks`; do not edit by hand. -->',
    '',
    'Every check is one mocha `it`, titled `[<id>] <sentence>`. Ids are stable: reports, `summary.json` and the',
    'expected-verdict table are keyed by them. A per-family check exists once per family (`.ipv4`, `.ipv6`).',
    '',
    '**Family rule.** A check that needs a family *fails* on a cluster without that family, and its message names the',
    'missing family ("cluster has no IPv6: ..."). Family-independent checks pass on single-stack clusters too.',
    'Skips happen only for optional capabilities, each with its reason; `--strict` turns skips into failures except',
    'for a capability declared absent (`--lb-provider=none`).',
    '',
    '| Capability that may skip a check | Meaning |',
    '| --- | --- |',
    ...Object.entries(CAPABILITY_DESCRIPTIONS).map(([name, text]) => `| \`${name}\` | ${text} |`),
    '',
  ];
  let area: CheckArea | undefined;
  for (const { spec, instances } of definitions) {
    if (spec.area !== area) {
      area = spec.area;
      lines.push(`## ${AREA_TITLES[area]}`, '');
    }
    const ids = instances.map((instance) => `\`${instance.id}\``).join(', ');
    const first = instances[0];
    if (!first) continue;
    const requires = spec.perFamily
      ? spec.requires === 'both'
        ? 'IPv4 and IPv6 (each instance judges its own family of a dual-stack fixture)'
        : 'its own family'
      : first.requiresFamilies.length === 0
        ? 'none (family-independent)'
        : first.requiresFamilies.join(' and ');
    lines.push(
      `### ${ids}`,
      '',
      `**${spec.title}**`,
      '',
      `- Verifies: ${spec.verifies}`,
      `- Needs families: ${requires}`,
      `- Page step: ${spec.pageStep ?? 'none (beyond the page)'}`,
      `- Upstream e2e: ${spec.upstream ?? 'none'}`,
      `- Skipped only without: ${spec.skipsWithout?.map((c) => `\`${c}\``).join(', ') ?? 'never skipped'}`,
      '- When it fails:',
      ...spec.causes.map((cause) => `  - ${cause}`),
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
