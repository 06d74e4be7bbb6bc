// The clusters this project created: cluster:down deletes only these.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterRecordsDir } from './paths.ts';
import type { Variant } from './variant.ts';

export interface ClusterRecord extends Variant {
  name: string;
  nodeImage: string;
  kubeconfig: string;
  createdAt: string;
  metallb?: boolean;
  /** MetalLB's address ranges (first-last), one per family: clusters on the shared kind network must not share them. */
  lbPool?: string[];
}

const file = (name: string) => join(clusterRecordsDir, `${name}.json`);

export function saveRecord(r: ClusterRecord): void {
  mkdirSync(clusterRecordsDir, { recursive: true });
  writeFileSync(file(r.name), JSON.stringify(r, null, 2) + '\n');
}

export function loadRecord(name: string): ClusterRecord | undefined {
  try {
    return JSON.parse(readFileSync(file(name), 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

export function listRecords(): ClusterRecord[] {
  let names: string[] = [];
  try {
    names = readdirSync(clusterRecordsDir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((f) => loadRecord(f.slice(0, -5))).filter((r): r is ClusterRecord => r !== undefined);
}

export function removeRecord(name: string): void {
  rmSync(file(name), { force: true });
}
