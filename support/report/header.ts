// The top of the HTML report: the verdict line, the cluster that was judged (context, server, version, families and
// primary, CNI, kube-proxy mode, LoadBalancer provider, declared absences) and the topology picture, placed before
// mochawesome's own page so the report opens on what was judged, not on a list of test titles.
import { readFileSync, writeFileSync } from 'node:fs';
import { xmlAttribute as escapeXml } from '../results.ts';
import { VERDICT_COLOURS } from './svg.ts';

/** What the header needs of summary.json (kept structural, so an older summary renders too). */
export interface HeaderSummary {
  readonly verdict: string;
  readonly reason: string;
  readonly partial: boolean;
  readonly partialReason: string | null;
  readonly strict: boolean;
  readonly declaredAbsent: readonly string[];
  readonly declaredAbsentReasons?: Readonly<Record<string, string>> | undefined;
  readonly runId: string | undefined;
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly counts: { readonly passed: number; readonly failed: number; readonly skipped: number; readonly notRun: number; readonly total: number };
  readonly cluster?: Record<string, unknown> | undefined;
}

const MARKER = 'id="dsc-cluster"';

const text = (value: unknown): string => {
  if (value === undefined || value === null) return 'unknown';
  if (Array.isArray(value)) return value.length > 0 ? value.map((item) => String(item)).join(', ') : 'none';
  return String(value);
};

/** The identity rows, in the order a reviewer asks: which cluster, which version, which families, which plumbing. */
export function identityRows(summary: HeaderSummary): [string, string][] {
  const cluster = summary.cluster ?? {};
  const families = Array.isArray(cluster.families) ? (cluster.families as string[]) : [];
  return [
    ['Context', text(cluster.context)],
    ['API server', text(cluster.server)],
    ['Kubernetes', text(cluster.kubernetesVersion)],
    ['Families', `${families.length > 0 ? families.join(' + ') : 'none detected'}${cluster.primaryFamily ? `, primary ${text(cluster.primaryFamily)}` : ''}${cluster.dualStack === true ? ' (dual-stack)' : ''}`],
    ['Service ranges', text(cluster.serviceCidrs)],
    ['Nodes judged', text(cluster.selectedNodes)],
    ['Nodes excluded', text(Array.isArray(cluster.excludedNodes) ? (cluster.excludedNodes as { name?: string; reason?: string }[]).map((node) => `${node.name ?? '?'} (${node.reason ?? '?'})`) : cluster.excludedNodes)],
    ['CNI', text(cluster.cni)],
    ['kube-proxy mode', text(cluster.kubeProxyMode)],
    ['LoadBalancer provider', text(cluster.lbProvider)],
    ['Declared absent', summary.declaredAbsent.length > 0 ? summary.declaredAbsent.map((name) => `${name} (${summary.declaredAbsentReasons?.[name] ?? `--absent ${name}`})`).join(', ') : 'none'],
    ['Run', `${summary.runId ?? 'no run id'}, started ${summary.startedAt}, ${summary.wallSeconds.toFixed(1)} s${summary.strict ? ', --strict' : ''}`],
  ];
}

/** "PASSED: 54 passed, 0 failed, 0 skipped, 0 not run of 54 checks; <reason>" (PARTIAL first for a selection). */
export function verdictLine(summary: HeaderSummary): string {
  const label = `${summary.partial ? 'PARTIAL ' : ''}${summary.verdict.toUpperCase()}`;
  const c = summary.counts;
  const selection = summary.partial && summary.partialReason ? ` (${summary.partialReason})` : '';
  return `${label}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, ${c.notRun} not run of ${c.total} checks${selection}; ${summary.reason}`;
}

export function renderReportHeader(summary: HeaderSummary, topologySvg: string | undefined): string {
  const colour = summary.verdict === 'passed' ? VERDICT_COLOURS.passed : VERDICT_COLOURS.failed;
  const rows = identityRows(summary)
    .map(([key, value]) => `<tr><th>${escapeXml(key)}</th><td>${escapeXml(value)}</td></tr>`)
    .join('');
  return [
    `<section ${MARKER} style="font-family: sans-serif; margin: 16px; padding: 16px; border: 1px solid #cfd8dc; border-radius: 6px; background: #fafafa; position: relative; z-index: 2000;">`,
    `<h1 style="margin: 0 0 8px; font-size: 20px;">dualstack-conformance</h1>`,
    `<p class="dsc-verdict" style="margin: 0 0 12px; font-size: 16px; font-weight: bold; color: ${colour};">${escapeXml(verdictLine(summary))}</p>`,
    `<table class="dsc-identity" style="border-collapse: collapse; font-size: 13px; margin-bottom: 12px;">${rows}</table>`,
    topologySvg ? `<div class="dsc-topology-frame" style="overflow-x: auto; background: #ffffff; border: 1px solid #eceff1;">${topologySvg}</div>` : '<p>No topology: the run stopped before its fixtures existed.</p>',
    '<style>#dsc-cluster th { text-align: left; padding: 2px 12px 2px 0; color: #455a64; font-weight: normal; } #dsc-cluster td { padding: 2px 0; }</style>',
    '</section>',
  ].join('\n');
}

/** Puts the header at the top of mochawesome's page (once: a second call replaces nothing and adds nothing). */
export function injectReportHeader(htmlFile: string, header: string): boolean {
  let html: string;
  try {
    html = readFileSync(htmlFile, 'utf8');
  } catch {
    return false;
  }
  if (html.includes(MARKER)) return false;
  const anchor = '<div id="report">';
  const at = html.indexOf(anchor);
  if (at < 0) return false;
  writeFileSync(htmlFile, `${html.slice(0, at)}${header}\n${html.slice(at)}`);
  return true;
}
