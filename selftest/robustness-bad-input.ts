// Bad input: one clear line each, exit 2, no stack trace. One table drives both the selftest cases (what each input
// is, and what the line must say) and the README's "What a user sees on bad input" section (each row with the line a
// real run printed: `npm run docs:bad-input` renders it, a unit test fails when the README has drifted).
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.ts';
import {
  cleanEnv,
  clusterAccess,
  describeRun,
  execText,
  expectOneLine,
  kubectl,
  leavingNothing,
  runSuite,
  withTempDir,
  writeKubeconfig,
  type RobustnessCase,
  type RobustnessTarget,
  type SuiteRun,
} from './robustness-harness.ts';

/** Where a row's run happens: a throw-away directory, the cluster under test, and cleanups for what it set up. */
interface Scene {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly atEnd: (cleanup: () => Promise<unknown>) => void;
}

/** How the suite is run for a row and what its one line must contain. */
interface Invocation {
  readonly args?: readonly string[];
  /** Added to KUBECONFIG=<the cluster under test> on a clean environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** The whole environment instead. */
  readonly rawEnv?: NodeJS.ProcessEnv;
  readonly mustContain: readonly string[];
  readonly timeoutMs?: number;
  /** More to judge on the finished run; throws with what was observed. */
  readonly verify?: (run: SuiteRun, line: string) => Promise<void> | void;
}

export interface BadInput {
  /** The selftest case's name (the README's first column). */
  readonly name: string;
  /** The line a real run printed (paths, ports and names as they were then). */
  readonly seen: string;
  /** Sets the input up; undefined when the case lives in `caseIn` instead (its setup belongs there). */
  readonly arrange?: (scene: Scene) => Promise<Invocation> | Invocation;
  /** The file whose case covers the row, when it is not this one. */
  readonly caseIn?: string;
  /** The run gets as far as the cluster: snapshot before, --reports-dir in the scene, nothing may be left after. */
  readonly leavesNothing?: boolean;
}

const BAD_IMAGE = 'registry.invalid/none:1';

export const BAD_INPUT: readonly BadInput[] = [
  {
    name: 'bad input: DSC_SWEEP_OLDER_THAN below the 10m minimum',
    seen: 'dualstack-conformance: DSC_SWEEP_OLDER_THAN=20s is below the minimum 10m: a younger namespace may belong to a run still going',
    arrange: () => ({ env: { DSC_SWEEP_OLDER_THAN: '20s' }, mustContain: ['DSC_SWEEP_OLDER_THAN=20s is below the minimum 10m'] }),
  },
  {
    name: 'exit 2: zero checks selected (--grep matching nothing)',
    seen: 'dualstack-conformance: no check selected (selection --grep no-such-check-zzz); check ids are listed in docs/checks.md',
    arrange: () => ({ args: ['--grep', 'no-such-check-zzz'], mustContain: ['no check selected'] }),
  },
  {
    name: 'bad input: KUBECONFIG names a missing file',
    seen: 'dualstack-conformance: kubeconfig /tmp/dsc-robust-bad-input-aehMkQ/no-such-kubeconfig does not exist (from KUBECONFIG)',
    arrange: ({ dir }) => {
      const file = join(dir, 'no-such-kubeconfig');
      return { env: { KUBECONFIG: file }, mustContain: [file] };
    },
  },
  {
    name: 'bad input: malformed kubeconfig',
    seen: 'dualstack-conformance: kubeconfig /tmp/dsc-robust-bad-input-Pu4zdB/kubeconfig is malformed: missed comma between flow collection entries (3:8)',
    arrange: ({ dir }) => {
      const file = join(dir, 'kubeconfig');
      writeFileSync(file, 'apiVersion: v1\nclusters: [ {name: broken\n  users: :\n');
      return { env: { KUBECONFIG: file }, mustContain: [file, 'malformed'] };
    },
  },
  {
    name: 'bad input: unknown --context',
    seen: 'dualstack-conformance: context "no-such-context" not found in kubeconfig /root/.kube/config (contexts: kind-dualstack)',
    arrange: () => ({ args: ['--context', 'no-such-context'], mustContain: ['no-such-context', 'not found'] }),
  },
  {
    name: 'bad input: API server refuses the connection',
    seen: 'dualstack-conformance: API server of context "selftest" (https://127.0.0.1:36311) is unreachable: request to https://127.0.0.1:36311/version failed, reason: connect ECONNREFUSED 127.0.0.1:36311',
    arrange: async ({ dir }) => {
      const port = await closedPort();
      const file = writeKubeconfig(join(dir, 'kubeconfig'), `https://127.0.0.1:${port}`, 'x', undefined);
      return { env: { KUBECONFIG: file }, mustContain: [`127.0.0.1:${port}`, 'ECONNREFUSED'] };
    },
  },
  {
    name: 'bad input: API server accepts and never answers',
    seen: 'dualstack-conformance: API server of context "selftest" (https://127.0.0.1:34325) is unreachable: GET /version did not answer within 3s (raise DSC_TIMEOUT_API_REQUEST on a slow link)',
    arrange: async ({ dir, atEnd }) => {
      const server = await silentServer();
      atEnd(server.close);
      const file = writeKubeconfig(join(dir, 'kubeconfig'), `https://127.0.0.1:${server.port}`, 'x', undefined);
      return {
        env: { KUBECONFIG: file, DSC_TIMEOUT_API_REQUEST: '3s' },
        mustContain: [`127.0.0.1:${server.port}`, 'did not answer within 3s', 'DSC_TIMEOUT_API_REQUEST'],
        verify: (r, line) => {
          if (r.seconds > 20) throw new Error(`took ${r.seconds.toFixed(1)} s with a 3 s bound: ${line}`);
        },
      };
    },
  },
  {
    name: 'bad input: RBAC forbidden (a ServiceAccount without rights)',
    seen: 'dualstack-conformance: context "nobody" (https://127.0.0.1:43225) is forbidden to list nodes, create namespaces, delete namespaces, get namespaces, list namespaces, create pods, list pods, get pods, deletecollection pods, patch pods, create pods/exec, get pods/exec, get pods/log, create services, get services, delete services, list endpointslices.discovery.k8s.io, list events (the suite needs these)',
    arrange: async ({ dir, kubeconfig, atEnd }) => {
      const namespace = `dsc-selftest-norbac-${Math.random().toString(36).slice(2, 8)}`;
      atEnd(() => kubectl(kubeconfig, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=60s']));
      await kubectl(kubeconfig, ['create', 'namespace', namespace]);
      await kubectl(kubeconfig, ['-n', namespace, 'create', 'serviceaccount', 'nobody']);
      const token = (await kubectl(kubeconfig, ['-n', namespace, 'create', 'token', 'nobody', '--duration', '10m'])).trim();
      const access = await clusterAccess(kubeconfig);
      const file = writeKubeconfig(join(dir, 'kubeconfig'), access.server, token, access.caData, 'nobody');
      return { env: { KUBECONFIG: file }, mustContain: ['is forbidden to', 'list nodes', 'create namespaces'] };
    },
  },
  {
    name: 'bad input: malformed fixture (DSC_FIXTURES_DIR)',
    leavesNothing: true,
    seen: 'dualstack-conformance: fixture client.yaml is malformed: bad indentation of a mapping entry (5:2)',
    arrange: ({ dir }) => {
      const fixtures = join(dir, 'fixtures');
      cpSync(join(PROJECT_ROOT, 'fixtures'), fixtures, { recursive: true });
      writeFileSync(join(fixtures, 'client.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: client\n spec: [unclosed\n');
      return { env: { DSC_FIXTURES_DIR: fixtures }, mustContain: ['fixture client.yaml is malformed'], timeoutMs: 120_000 };
    },
  },
  {
    name: 'bad input: Docker absent when the embedded cluster is needed (no cluster is created)',
    seen: 'dualstack-conformance: the embedded kind cluster needs Docker, which is not available: run `npm run host:prepare` (or point KUBECONFIG at a cluster)',
    arrange: async ({ dir }) => {
      // PATH holds node only; HOME has no .kube; no KUBECONFIG: the CLI would create the embedded cluster.
      const bin = join(dir, 'bin');
      const home = join(dir, 'home');
      mkdirSync(bin);
      mkdirSync(home);
      symlinkSync(process.execPath, join(bin, 'node'));
      const containers = async (): Promise<string> => (await execText('docker', ['ps', '-a', '--format', '{{.Names}}'])).split('\n').sort().join(',');
      const containersBefore = await containers();
      return {
        rawEnv: { ...cleanEnv(), PATH: bin, HOME: home },
        mustContain: ['npm run host:prepare'],
        verify: async (r) => {
          if (r.stderr.includes('phase=cluster-up')) throw new Error(`the CLI started cluster:up: ${describeRun(r)}`);
          const containersAfter = await containers();
          if (containersAfter !== containersBefore) throw new Error(`docker containers changed: before ${containersBefore}; after ${containersAfter}`);
          if (readdirSync(home).includes('.kube')) throw new Error(`the run created ${join(home, '.kube')}`);
        },
      };
    },
  },
  {
    name: `bad input: an image that cannot be pulled (--busybox-image ${BAD_IMAGE})`,
    seen: 'dualstack-conformance: image registry.invalid/none:1 cannot be pulled: ErrImagePull for pod dsc-r9zare89/pod01 on node dualstack-worker (override with --busybox-image or DSC_BUSYBOX_IMAGE)',
    arrange: () => ({
      args: ['--busybox-image', BAD_IMAGE],
      env: { DSC_TIMEOUT_POD_READY: '90s' },
      mustContain: [BAD_IMAGE, '--busybox-image', 'DSC_BUSYBOX_IMAGE'],
      timeoutMs: 180_000,
    }),
    leavesNothing: true,
  },
  {
    name: `bad input: an off-cluster client image that cannot be had (--offcluster-image ${BAD_IMAGE})`,
    seen: 'dualstack-conformance: off-cluster client image registry.invalid/none:1 is not in this host\'s docker and cannot be pulled: (HTTP code 500) server error - Get "https://registry.invalid/v2/": dial tcp: lookup registry.invalid on 10.255.255.53:53: no such host; name one this host has with --offcluster-image (or DSC_OFFCLUSTER_IMAGE), or run without the off-cluster checks with --absent offcluster-network',
    caseIn: 'selftest/user-clusters.ts',
  },
  {
    name: 'bad input: an image option holding "#" (--busybox-image)',
    seen: 'dualstack-conformance: --busybox-image "docker.io/library/busybox:1.35.0#privileged" is not an image reference (host[:port]/path[:tag][@sha256:<64 hex>]): it contains "#" at position 33',
    arrange: () => ({
      args: ['--busybox-image', 'docker.io/library/busybox:1.35.0#privileged'],
      mustContain: ['--busybox-image "docker.io/library/busybox:1.35.0#privileged" is not an image reference', 'contains "#" at position 33'],
    }),
  },
  {
    name: 'bad input: an image option holding a newline (DSC_AGNHOST_IMAGE)',
    seen: 'dualstack-conformance: DSC_AGNHOST_IMAGE "registry.k8s.io/e2e-test-images/agnhost:2.56\\n      securityContext: {privileged: true}" is not an image reference (host[:port]/path[:tag][@sha256:<64 hex>]): it contains "\\n" at position 45',
    arrange: () => ({
      env: { DSC_AGNHOST_IMAGE: 'registry.k8s.io/e2e-test-images/agnhost:2.56\n      securityContext: {privileged: true}' },
      mustContain: ['DSC_AGNHOST_IMAGE "registry.k8s.io/e2e-test-images/agnhost:2.56\\n', 'is not an image reference', 'contains "\\n" at position 45'],
    }),
  },
];

/** Runs one row: the suite with its input, one line on stderr with what the row demands, and the row's own checks. */
async function runBadInput(arrange: NonNullable<BadInput['arrange']>, reportsDir: string | undefined, dir: string, kubeconfig: string): Promise<string> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const call = await arrange({ dir, kubeconfig, atEnd: (cleanup) => void cleanups.unshift(cleanup) });
    const reports = reportsDir ? ['--reports-dir', reportsDir] : [];
    const environment = call.rawEnv ? { rawEnv: call.rawEnv } : { env: { KUBECONFIG: kubeconfig, ...call.env } };
    const r = await runSuite({ args: [...(call.args ?? []), ...reports], ...environment, timeoutMs: call.timeoutMs ?? 60_000 });
    const line = expectOneLine(r, call.mustContain);
    await call.verify?.(r, line);
    return `${line} (after ${r.seconds.toFixed(1)} s)`;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

/** The table's cases (rows whose case lives elsewhere excepted), in its order. */
export function badInputCases(target: RobustnessTarget): RobustnessCase[] {
  const { kubeconfig } = target;
  return BAD_INPUT.flatMap(({ name, arrange, leavesNothing }): RobustnessCase[] => {
    if (!arrange) return [];
    const fn = leavesNothing
      ? () => leavingNothing(kubeconfig, 'bad-input', (dir) => runBadInput(arrange, join(dir, 'reports'), dir, kubeconfig))
      : () => withTempDir('bad-input', (dir) => runBadInput(arrange, undefined, dir, kubeconfig));
    return [{ name, fn }];
  });
}

// ---------------------------------------------------------------------------------------------------------------
// API servers that misbehave

/** A closed port on 127.0.0.1: bind an ephemeral one, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A TCP listener on 127.0.0.1 that accepts connections and never answers. */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The README's section

export const README_BEGIN = '<!-- generated from selftest/robustness-bad-input.ts by `npm run docs:bad-input`: edit the table there -->';
export const README_END = '<!-- end of the generated bad-input table -->';

/** Markdown inline code that survives backticks and a table's pipes. */
function code(text: string): string {
  const escaped = text.replaceAll('|', '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

/** The generated part of the README's bad-input section, markers included. */
export function renderBadInputTable(rows: readonly BadInput[] = BAD_INPUT): string {
  return [
    README_BEGIN,
    '',
    'Each row is a selftest case on the dual cluster (the run exits 2 with that one line on stderr); the line is what a',
    'run here printed.',
    '',
    '| selftest case | the line |',
    '|---|---|',
    ...rows.map((row) => `| ${row.name.replaceAll('|', '\\|')} | ${code(row.seen)} |`),
    '',
    README_END,
  ].join('\n');
}

/** The README with its generated bad-input table replaced by a fresh rendering. */
export function withBadInputTable(readme: string, table = renderBadInputTable()): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error('README.md has no generated bad-input table (its begin and end markers)');
  return readme.slice(0, begin) + table + readme.slice(end + README_END.length);
}
