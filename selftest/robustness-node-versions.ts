// Node versions (tool phase): type-check and unit tests on Node 22 and 24, from the npm package `node` (npx caches it
// in npm's cache, outside the checkout).
import { tail } from '../lib/process.ts';
import { execText, type RobustnessCase } from './robustness-harness.ts';

export function nodeVersionCases(): RobustnessCase[] {
  return ([22, 24] as const).map((major) => ({
    name: `type-check and unit tests on Node ${major}`,
    fn: async () => {
      const script = [
        'node -p process.version',
        'node node_modules/typescript/bin/tsc --noEmit -p tsconfig.json',
        'node node_modules/mocha/bin/mocha.js --config .mocharc.unit.json --reporter dot',
      ].join(' && ');
      let out: string;
      try {
        out = await execText('npx', ['--yes', '-p', `node@${major}`, '--', 'sh', '-c', script], { timeoutMs: 600_000 });
      } catch (error) {
        throw new Error(tail((error as Error).message, 12));
      }
      const version = out.split('\n')[0]?.trim() ?? '';
      if (!version.startsWith(`v${major}.`)) throw new Error(`expected Node ${major}, ran ${version}`);
      const passing = /(\d+) passing/.exec(out)?.[0] ?? '';
      return `${version}: tsc clean, ${passing}`;
    },
  }));
}
