// selftest/expected-fault-verdicts.yaml: per fault, the checks expected to FAIL while it is applied; every other
// check keeps its healthy verdict from expected-verdicts.yaml. Pure: parsed and validated against the verdict table
// and the fault catalog, so a misspelt id, a fault without a row or a fault nothing catches is a configuration error.
import { loadYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareVerdicts, overrideCells, parseCell, type ExpectedTable, type Expectation, type ObservedCheck } from '../verdicts.ts';
import type { Stuck } from './catalog.ts';

export const faultTablePath = join(dirname(dirname(fileURLToPath(import.meta.url))), 'expected-fault-verdicts.yaml');

export interface FaultExpectation {
  readonly fault: string;
  /** check id → the failure expected, with its message substring. */
  readonly fail: ReadonlyMap<string, Expectation>;
  /** Checks not in the catalog yet that are meant to catch the fault; what lets `fail` be empty. */
  readonly awaitingChecks: readonly string[];
  /**
   * check id → why its verdict under this fault is chance (e.g. which backend session affinity picks): either
   * verdict is accepted, nothing else (a check absent from the run is still a mismatch).
   */
  readonly undetermined: ReadonlyMap<string, string>;
}

export interface FaultTable {
  /** The matrix cluster the faults are applied to; its column gives every check's healthy verdict. */
  readonly cluster: string;
  readonly faults: ReadonlyMap<string, FaultExpectation>;
}

interface RawFaultTable {
  cluster?: unknown;
  faults?: Record<string, { fail?: Record<string, unknown> | null; awaitingChecks?: unknown; undetermined?: Record<string, unknown> | null } | null>;
}

export function parseFaultTable(text: string, table: ExpectedTable, faultNames: readonly string[]): FaultTable {
  const raw = loadYaml<RawFaultTable>(text) ?? {};
  const problems: string[] = [];
  const cluster = typeof raw.cluster === 'string' ? raw.cluster : '';
  if (!table.clusters.some((c) => c.name === cluster)) problems.push(`cluster ${JSON.stringify(raw.cluster)} is not a cluster of expected-verdicts.yaml`);
  const rows = raw.faults ?? {};
  for (const name of faultNames) if (!(name in rows)) problems.push(`fault ${name} has no entry`);
  const faults = new Map<string, FaultExpectation>();
  for (const [fault, row] of Object.entries(rows)) {
    if (!faultNames.includes(fault)) problems.push(`fault ${fault} is not in the fault catalog (${faultNames.join(', ')})`);
    const fail = new Map<string, Expectation>();
    for (const [id, cell] of Object.entries(row?.fail ?? {})) {
      const where = `fault ${fault}: ${id}`;
      try {
        const expectation = parseCell(cell, where);
        if (expectation.verdict !== 'failed') problems.push(`${where}: list only checks expected to fail ("fail: <substring>"), got ${JSON.stringify(cell)}`);
        else fail.set(id, expectation);
      } catch (error) {
        problems.push((error as Error).message);
      }
      if (!table.checks.has(id)) problems.push(`${where}: no such check id in expected-verdicts.yaml`);
    }
    const awaiting = row?.awaitingChecks ?? [];
    const awaitingChecks = Array.isArray(awaiting) ? awaiting.map(String) : [];
    if (!Array.isArray(awaiting)) problems.push(`fault ${fault}: awaitingChecks must be a list of check ids`);
    for (const id of awaitingChecks) {
      if (table.checks.has(id)) {
        problems.push(`fault ${fault} awaits ${id}, which exists now: run the fault, then list ${id} under fail if it fails, else drop it from awaitingChecks`);
      }
    }
    if (fail.size === 0 && awaitingChecks.length === 0) {
      problems.push(`fault ${fault}: no check is expected to fail and none is awaited (awaitingChecks): a fault nothing catches`);
    }
    const undetermined = new Map<string, string>();
    for (const [id, why] of Object.entries(row?.undetermined ?? {})) {
      if (!table.checks.has(id)) problems.push(`fault ${fault}: undetermined ${id}: no such check id in expected-verdicts.yaml`);
      if (fail.has(id)) problems.push(`fault ${fault}: ${id} is both expected to fail and undetermined`);
      if (typeof why !== 'string' || why.length < 10) problems.push(`fault ${fault}: undetermined ${id} needs the reason its verdict is chance`);
      undetermined.set(id, String(why));
    }
    faults.set(fault, { fault, fail, awaitingChecks, undetermined });
  }
  if (problems.length > 0) throw new Error(`expected-fault-verdicts: ${problems.join('; ')}`);
  return { cluster, faults };
}

/** The cluster the faults are applied to, read without validating the rest (selftest decides where to run them). */
export function faultClusterName(path = faultTablePath): string {
  const cluster = loadYaml<RawFaultTable>(readFileSync(path, 'utf8'))?.cluster;
  if (typeof cluster !== 'string') throw new Error(`${path}: no cluster`);
  return cluster;
}

export function loadFaultTable(table: ExpectedTable, faultNames: readonly string[], path = faultTablePath): FaultTable {
  return parseFaultTable(readFileSync(path, 'utf8'), table, faultNames);
}

/** What a suite run under `fault` must show: the healthy table with the fault's failures, and the exit code. */
export function expectedUnderFault(table: ExpectedTable, faults: FaultTable, fault: string): { table: ExpectedTable; exitCode: number } {
  const expectation = faults.faults.get(fault);
  if (!expectation) throw new Error(`expected-fault-verdicts has no fault ${fault}`);
  const healthy = table.clusters.find((c) => c.name === faults.cluster);
  if (!healthy) throw new Error(`expected-verdicts has no cluster ${faults.cluster}`);
  return {
    table: overrideCells(table, faults.cluster, expectation.fail),
    exitCode: expectation.fail.size > 0 ? 1 : healthy.exitCode,
  };
}

export interface FaultRun {
  /** Whether the fault was still in place when the suite had finished. */
  readonly stuckAfter: Stuck;
  readonly exitCode: number;
  readonly observed: readonly ObservedCheck[];
}

/**
 * Every problem of one suite run under a fault: a verdict off the expected table (an unexpected failure as much as
 * a missed one), the wrong exit code, and a fault repaired during the run, which fails the case even when every
 * verdict matched: a fault that did not stick proves nothing.
 */
export function judgeFaultRun(table: ExpectedTable, faults: FaultTable, fault: string, run: FaultRun): string[] {
  const expected = expectedUnderFault(table, faults, fault);
  const problems: string[] = [];
  if (!run.stuckAfter.stuck) problems.push(`did not stick: repaired during the run: ${run.stuckAfter.reason}`);
  const undetermined = faults.faults.get(fault)?.undetermined ?? new Map<string, string>();
  const mismatches = compareVerdicts(expected.table, faults.cluster, run.observed).filter(
    (mismatch) => !(undetermined.has(mismatch.id) && /^(passed|failed)\b/.test(mismatch.observed)),
  );
  if (mismatches.length > 0) {
    problems.push(`${mismatches.length} verdict mismatch(es): ${mismatches.map((m) => `${m.id}: expected ${m.expected}; observed ${m.observed}`).join(' / ')}`);
  }
  if (run.exitCode !== expected.exitCode) problems.push(`the suite exited ${run.exitCode}, expected ${expected.exitCode}`);
  return problems;
}
