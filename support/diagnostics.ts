// Diagnostics gathered only when something failed: the run namespaces' events, a `kubectl describe`-like summary of
// each pod and the tail of every container's log. They are attached to the failed test in the HTML report.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describeError } from '../lib/errors.ts';
import type { Clients } from './k8s.ts';

const EVENT_LIMIT = 40;
const LOG_TAIL_LINES = 30;

function eventTime(event: CoreV1Event): number {
  const stamp = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  return stamp ? new Date(stamp).getTime() : 0;
}

/** Newest last, like `kubectl events`: "12:00:01 Warning FailedScheduling Pod/backend-b: 0/2 nodes ...". */
export function formatEvents(events: readonly CoreV1Event[]): string {
  const sorted = [...events].sort((a, b) => eventTime(a) - eventTime(b)).slice(-EVENT_LIMIT);
  if (sorted.length === 0) return '(no events)';
  return sorted
    .map((event) => {
      const time = eventTime(event) ? new Date(eventTime(event)).toISOString().slice(11, 19) : '--:--:--';
      const object = `${event.involvedObject.kind ?? '?'}/${event.involvedObject.name ?? '?'}`;
      const count = event.count && event.count > 1 ? ` (x${event.count})` : '';
      return `${time} ${event.type ?? ''} ${event.reason ?? ''} ${object}: ${event.message ?? ''}${count}`;
    })
    .join('\n');
}

/** The parts of `kubectl describe pod` that explain network failures: node, addresses, conditions, containers. */
export function formatPodSummary(pod: V1Pod): string {
  const lines = [
    `Pod ${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`,
    `  Node: ${pod.spec?.nodeName ?? '<unscheduled>'}  Phase: ${pod.status?.phase ?? '?'}  hostNetwork: ${pod.spec?.hostNetwork === true}`,
    `  PodIPs: ${(pod.status?.podIPs ?? []).map((entry) => entry.ip).join(', ') || '<none>'}`,
    `  HostIPs: ${(pod.status?.hostIPs ?? []).map((entry) => entry.ip).join(', ') || '<none>'}`,
    `  Conditions: ${(pod.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`).join(' ') || '<none>'}`,
  ];
  for (const status of pod.status?.containerStatuses ?? []) {
    const state = status.state;
    const stateText = state?.running
      ? `Running since ${String(state.running.startedAt ?? '?')}`
      : state?.waiting
        ? `Waiting: ${state.waiting.reason ?? ''} ${state.waiting.message ?? ''}`
        : state?.terminated
          ? `Terminated: ${state.terminated.reason ?? ''} exit ${state.terminated.exitCode}`
          : 'unknown';
    lines.push(`  Container ${status.name}: ${status.image} ready=${status.ready} restarts=${status.restartCount} ${stateText}`);
  }
  return lines.join('\n');
}

export interface Diagnostic {
  readonly title: string;
  readonly value: string;
}

export async function collectDiagnostics(clients: Clients, namespaces: readonly string[]): Promise<Diagnostic[]> {
  const perNamespace = await Promise.all(
    namespaces.map(async (namespace): Promise<Diagnostic[]> => {
      const [events, pods] = await Promise.all([
        clients.core.listNamespacedEvent({ namespace }).then(
          (list) => formatEvents(list.items),
          (error: unknown) => `events not readable: ${describeError(error)}`,
        ),
        clients.core.listNamespacedPod({ namespace }).then(
          (list) => list.items,
          () => [] as V1Pod[],
        ),
      ]);
      const logs = await Promise.all(
        pods.flatMap((pod) =>
          (pod.spec?.containers ?? []).map(async (container): Promise<Diagnostic> => {
            const name = pod.metadata?.name ?? '?';
            const text = await clients.core
              .readNamespacedPodLog({ namespace, name, container: container.name, tailLines: LOG_TAIL_LINES })
              .then(
                (log) => (log.trim() === '' ? '(empty log)' : log),
                (error: unknown) => `log not readable: ${describeError(error)}`,
              );
            return { title: `logs ${namespace}/${name}/${container.name} (last ${LOG_TAIL_LINES} lines)`, value: text };
          }),
        ),
      );
      return [
        { title: `events in ${namespace}`, value: events },
        { title: `pods in ${namespace}`, value: pods.map(formatPodSummary).join('\n') || '(no pods)' },
        ...logs,
      ];
    }),
  );
  return perNamespace.flat();
}
