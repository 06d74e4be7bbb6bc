// Robustness cases of the start-of-run sweep (support/sweep.ts) against the real cluster and this host's docker: a run
// sweeping while another is in its exec phase, at the smallest threshold allowed, leaves the other run alone; what is
// past its expiry (namespaces by the API server's time, the off-cluster container by docker's) goes, and nothing else
// does. Every namespace and container these cases judge is created by the case itself and removed at its end.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { IMAGE_SETTINGS } from '../support/config.ts';
import { EXPIRES_AT_KEY, MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL } from '../support/namespace.ts';
import { OFFCLUSTER_ROLE, OFFCLUSTER_ROLE_LABEL } from '../support/offcluster/client.ts';
import {
  describeRun,
  execText,
  expectCode,
  kubectl,
  namespaceExists,
  leavingNothing,
  runOf,
  runSuite,
  sleep,
  withTempDir,
  type NamespaceInfo,
  type RobustnessCase,
  type RobustnessTarget,
  type SuiteRun,
} from './robustness-harness.ts';

/** A quick run: the sweep, the namespaces and one check; enough to see what the sweep did. */
const SHORT_RUN = ['--grep', '[node.podcidr.first]'];

/** An id like newRunId's (8 of [a-z0-9]), so the names are ones the sweep may select. */
function runLikeId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function sweepLine(r: SuiteRun): string {
  const line = r.stdout.split('\n').find((text) => text.startsWith('Sweep: '));
  if (!line) throw new Error(`no "Sweep:" line in the header; ${describeRun(r)}`);
  return line;
}

const alive = (ns: NamespaceInfo | undefined): boolean => ns !== undefined && !ns.terminating;

async function goneWithin(kubeconfig: string, names: readonly string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = (await Promise.all(names.map((name) => namespaceExists(kubeconfig, name)))).filter((ns) => ns !== undefined);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${left.map((ns) => `${ns.name}${ns.terminating ? ' (Terminating)' : ''}`).join(', ')} still there ${ms / 1000} s after the run`);
    await sleep(1_000);
  }
}

/** Docker's clock, as the suite reads it (GET /info SystemTime). */
async function dockerNow(): Promise<number> {
  const text = (await execText('docker', ['info', '--format', '{{.SystemTime}}'])).trim();
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms)) throw new Error(`docker info SystemTime "${text}" is not a time`);
  return ms;
}

async function containerExists(name: string): Promise<boolean> {
  const out = await execText('docker', ['ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Names}}']);
  return out.trim() === name;
}

export function sweepCases(target: RobustnessTarget): RobustnessCase[] {
  const { kubeconfig } = target;
  const env = { KUBECONFIG: kubeconfig };
  return [
    {
      // Loading the suite takes ~13 s here under load, about as long as A's whole exec phase: a B spawned only when A
      // reached exec swept after A had finished (measured: B's preflight at 27.6 s, A's cleanup at 28.4 s). So B starts
      // with A and is held (SIGSTOP) at its phase=preflight, before its sweep, until A is in phase=exec.
      name: 'sweep: a run sweeping during another run\'s exec phase at DSC_SWEEP_OLDER_THAN=10m leaves it alone; both pass',
      fn: () =>
        leavingNothing(kubeconfig, 'overlap', async (dir) => {
          const started = Date.now();
          const at: string[] = [];
          const mark = (what: string): void => void at.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
          let aPhase = '';
          let aStdout = '';
          let held: number | undefined;
          let released = false;
          const release = (): void => {
            released = true;
            if (held === undefined) return;
            const group = held;
            held = undefined;
            try {
              process.kill(-group, 'SIGCONT');
            } catch {
              // B already gone.
            }
          };
          let atSweep: Promise<string> | undefined;
          const a = runSuite({
            args: ['--strict', '--reports-dir', join(dir, 'a')],
            env,
            timeoutMs: 240_000,
            onPhase: (phase, _pid, soFar) => {
              mark(`A ${phase}`);
              aPhase = phase;
              aStdout = soFar.stdout;
              if (phase === 'exec') release();
            },
          }).finally(release);
          const b = runSuite({
            args: [...SHORT_RUN, '--reports-dir', join(dir, 'b')],
            // The hold must not count against B's request bound.
            env: { ...env, DSC_SWEEP_OLDER_THAN: '10m', DSC_TIMEOUT_API_REQUEST: '60s' },
            timeoutMs: 240_000,
            onPhase: (phase, pid) => {
              mark(`B ${phase}`);
              if (phase === 'preflight' && !released) {
                held = pid;
                process.kill(-pid, 'SIGSTOP');
              }
              // phase=discover follows B's sweep and namespace creation: A must still be in exec, its namespaces Active.
              if (phase !== 'discover' || atSweep) return;
              const phaseOfA = aPhase;
              atSweep = (async () => {
                const runA = runOf(aStdout);
                if (!runA) throw new Error('run A printed no header');
                const [main, host] = await Promise.all([namespaceExists(kubeconfig, runA.main), namespaceExists(kubeconfig, runA.host)]);
                if (phaseOfA !== 'exec' || !alive(main) || !alive(host)) {
                  const states = [main, host].map((ns, i) => `${[runA.main, runA.host][i] ?? '?'} ${ns ? (ns.terminating ? 'Terminating' : 'Active') : 'gone'}`);
                  throw new Error(`right after B's sweep, A was in phase=${phaseOfA} with ${states.join(', ')}`);
                }
                return `right after B's sweep A was in phase=exec with ${runA.main} and ${runA.host} Active`;
              })();
              atSweep.catch(() => undefined);
            },
          });
          const [ra, rb] = await Promise.all([a, b]);
          const context = (): string => `(${at.join(', ')}); A: ${describeRun(ra)}; B: ${describeRun(rb)}`;
          if (!atSweep) throw new Error(`run B never reached phase=discover ${context()}`);
          const observed = await atSweep.catch((error: unknown) => {
            throw new Error(`${(error as Error).message} ${context()}`);
          });
          expectCode(ra, 0);
          expectCode(rb, 0);
          const runA = runOf(ra.stdout);
          const line = sweepLine(rb);
          if (!runA || line.includes(runA.runId)) throw new Error(`B's sweep named run A (${runA?.runId ?? '?'}): ${line}`);
          if (!line.includes('older than 10m')) throw new Error(`B did not sweep at 10m: ${line}`);
          return (
            `A ${runA.runId} passed --strict (${ra.seconds.toFixed(1)} s), B ${runOf(rb.stdout)?.runId ?? '?'} passed (${rb.seconds.toFixed(1)} s); ` +
            `${observed}; ${at.join(', ')}; B's ${line}`
          );
        }),
    },

    {
      name: 'sweep: removes namespaces and an off-cluster container past their expiry; keeps future and unstamped ones and names outside dsc-<id>[-host]',
      fn: () =>
        withTempDir('sweep', async (dir) => {
          const expired = runLikeId();
          const names = {
            expired: [`dsc-${expired}`, `dsc-${expired}-host`],
            future: `dsc-${runLikeId()}`,
            unstamped: `dsc-${runLikeId()}`,
            outsidePattern: `dsc-${runLikeId()}-old`,
          };
          const kept = [names.future, names.unstamped, names.outsidePattern];
          const all = [...names.expired, ...kept];
          const containers = { expired: `dsc-offcluster-${runLikeId()}`, future: `dsc-offcluster-${runLikeId()}` };
          const namespace = (name: string): object => ({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: name.slice(4, 12) } },
          });
          try {
            // Created first, then stamped relative to their creationTimestamp: the API server's clock, as the suite's.
            await kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: all.map(namespace) }));
            const serverNow = Date.parse(await kubectl(kubeconfig, ['get', 'namespace', all[0] ?? '', '-o', 'jsonpath={.metadata.creationTimestamp}']));
            if (Number.isNaN(serverNow)) throw new Error('no creationTimestamp on the created namespaces');
            const past = new Date(serverNow - 60_000).toISOString();
            const future = new Date(serverNow + 30 * 60_000).toISOString();
            await kubectl(kubeconfig, ['annotate', 'namespace', ...names.expired, names.outsidePattern, `${EXPIRES_AT_KEY}=${past}`]);
            await kubectl(kubeconfig, ['annotate', 'namespace', names.future, `${EXPIRES_AT_KEY}=${future}`]);
            const dockerMs = await dockerNow();
            const image = IMAGE_SETTINGS.agnhost.default;
            for (const [name, expiry] of [
              [containers.expired, new Date(dockerMs - 60_000).toISOString()],
              [containers.future, new Date(dockerMs + 30 * 60_000).toISOString()],
            ] as const) {
              // Never started, on no network: a leftover as the sweep lists it (all states), touching nothing.
              await execText('docker', [
                'create', '--name', name, '--network', 'none',
                '--label', `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, '--label', `${OFFCLUSTER_ROLE_LABEL}=${OFFCLUSTER_ROLE}`,
                '--label', `${RUN_ID_LABEL}=${name.slice(-8)}`, '--label', `${EXPIRES_AT_KEY}=${expiry}`, image,
              ]);
            }
            // Another run of this version starting meanwhile may sweep them first: what was already going when this
            // run's pre-flight began (before its sweep) need not be in its line.
            let takenEarlier: Promise<string[]> | undefined;
            const r = await runSuite({
              args: [...SHORT_RUN, '--reports-dir', join(dir, 'reports')],
              env,
              timeoutMs: 180_000,
              onPhase: (phase) => {
                if (phase !== 'preflight' || takenEarlier) return;
                takenEarlier = (async () => {
                  const states = await Promise.all(names.expired.map((name) => namespaceExists(kubeconfig, name)));
                  const going = names.expired.filter((_, index) => !alive(states[index]));
                  return (await containerExists(containers.expired)) ? going : [...going, containers.expired];
                })();
                takenEarlier.catch(() => undefined);
              },
            });
            expectCode(r, 0);
            const line = sweepLine(r);
            const byOthers = (await takenEarlier) ?? [];
            const missing = [...names.expired, containers.expired].filter((name) => !line.includes(name) && !byOthers.includes(name));
            const wrong = [...kept, containers.future].filter((name) => line.includes(name));
            if (missing.length > 0 || wrong.length > 0) {
              throw new Error(`the sweep line should name ${missing.join(', ') || '(all it did)'} and not ${wrong.join(', ') || '(none it did)'}: ${line}`);
            }
            await goneWithin(kubeconfig, names.expired, 60_000);
            if (await containerExists(containers.expired)) throw new Error(`container ${containers.expired} (expired) is still there`);
            const states = await Promise.all(kept.map((name) => namespaceExists(kubeconfig, name)));
            const lost = kept.filter((_, index) => !alive(states[index]));
            if (lost.length > 0) throw new Error(`deleted although not expired or not the suite's name: ${lost.join(', ')}`);
            if (!(await containerExists(containers.future))) throw new Error(`container ${containers.future} (future expiry) was removed`);
            const others = byOthers.length > 0 ? `; already swept by another run: ${byOthers.join(', ')}` : '';
            return `${line} (run ${r.seconds.toFixed(1)} s); kept ${kept.join(', ')} and container ${containers.future}${others}`;
          } finally {
            await kubectl(kubeconfig, ['delete', 'namespace', ...all, '--ignore-not-found', '--wait=true', '--timeout=60s']).catch(() => '');
            await execText('docker', ['rm', '-f', containers.expired, containers.future]).catch(() => '');
          }
        }),
    },
  ];
}
