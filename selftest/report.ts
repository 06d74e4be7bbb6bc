// The HTML report as a reviewer opens it: headless Chromium (Debian's chromium-headless-shell, installed by
// `host:prepare --ci`) loads the report of the dual-stack cluster's run, runs mochawesome's page, and the DOM must open
// on our header with the topology picture naming every node of the cluster; a screenshot of the top is kept beside it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execText, kubectl, type RobustnessCase } from './robustness-harness.ts';

const CHROMIUM = 'chromium-headless-shell';
// No sandbox: CI runs as root, where Chromium's sandbox refuses to start; the page is our own file. mochawesome
// renders its suites after load: a virtual-time budget lets the page finish before the DOM is read.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1400,1000', '--virtual-time-budget=5000'];

export function reportCases(target: { readonly kubeconfig: string; readonly reportsDir: string }): RobustnessCase[] {
  return [
    {
      name: 'report: headless Chromium opens the HTML report on the verdict, the cluster and a topology picture with every node',
      fn: async () => {
        const html = join(target.reportsDir, 'dualstack-conformance.html');
        if (!existsSync(html)) throw new Error(`no report at ${html}`);
        const url = pathToFileURL(html).href;
        const dom = await execText(CHROMIUM, [...CHROMIUM_ARGS, '--dump-dom', url], { timeoutMs: 120_000 });
        const nodes = (await kubectl(target.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}']))
          .trim()
          .split(/\s+/);
        const header = dom.indexOf('id="dsc-cluster"');
        const problems = [
          ...(header < 0 ? ['no header section'] : []),
          ...(header > dom.indexOf('id="report"') ? ['the header is not above mochawesome\u2019s page'] : []),
          ...(/class="dsc-verdict"[^>]*>(PARTIAL )?PASSED/.test(dom) ? [] : ['no PASSED verdict line']),
          ...(dom.includes('<svg') && dom.includes('dsc-topology') ? [] : ['no inline SVG topology']),
          ...nodes.filter((node) => !dom.includes(`data-id="node:${node}"`)).map((node) => `node ${node} missing from the picture`),
          // mochawesome's page itself still renders the tests: the header did not break it.
          ...(dom.includes('[node.podcidrs.families]') ? [] : ['mochawesome rendered no test titles']),
        ];
        if (problems.length > 0) throw new Error(problems.join('; '));
        const png = join(target.reportsDir, 'report-top.png');
        await execText(CHROMIUM, [...CHROMIUM_ARGS, `--screenshot=${png}`, url], { timeoutMs: 120_000 });
        const magic = readFileSync(png).subarray(0, 8).toString('hex');
        if (magic !== '89504e470d0a1a0a') throw new Error(`${png} is not a PNG (starts ${magic})`);
        const paths = (dom.match(/class="path /g) ?? []).length;
        return `header, verdict and ${nodes.length} nodes in the picture (${nodes.join(', ')}), ${paths} path lines; screenshot ${png} (${Math.round(statSync(png).size / 1024)} KiB)`;
      },
    },
  ];
}
