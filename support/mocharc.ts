// The top-level .mocharc.json is the one description of the suite for both drivers: plain `mocha` reads it itself,
// the CLI reads the spec list, the root-hook files and the timeout from it here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type Mocha from 'mocha';
import { COMPILED, PROJECT_ROOT } from '../lib/paths.ts';

export const MOCHARC = path.join(PROJECT_ROOT, '.mocharc.json');

/** A source file as .mocharc.json names it (`specs/x.spec.ts`), as the file this process loads. */
export function loadableFile(file: string): string {
  if (!COMPILED) return file;
  return path.join(PROJECT_ROOT, 'dist', path.relative(PROJECT_ROOT, file)).replace(/\.ts$/, '.js');
}

export interface SuiteMocharc {
  /** Spec files, absolute, in run order. */
  readonly spec: readonly string[];
  /** Root-hook plugin files (mocha's `require`), absolute. */
  readonly require: readonly string[];
  /** mocha's per-test timeout in ms: a backstop, every wait inside a check has its own bound. */
  readonly timeout: number;
  /** Node options mocha starts its process with, e.g. "import=tsx/esm". */
  readonly nodeOptions: readonly string[];
}

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new Error(`${MOCHARC}: "${key}" must be a list of strings`);
  }
  return value;
}

export function readMocharc(file: string = MOCHARC): SuiteMocharc {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const dir = path.dirname(file);
  const timeout = raw.timeout;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0) throw new Error(`${file}: "timeout" must be a positive number of ms`);
  return {
    spec: stringList(raw.spec, 'spec').map((spec) => loadableFile(path.resolve(dir, spec))),
    require: stringList(raw.require ?? [], 'require').map((hooks) => loadableFile(path.resolve(dir, hooks))),
    timeout,
    nodeOptions: stringList(raw['node-option'] ?? [], 'node-option'),
  };
}

/**
 * The spec files, loaded by mocha itself (require() first, then import(); see support/run.ts for why both end on
 * this process's ESM instances).
 */
export async function loadSpecs(mocha: Mocha, mocharc: SuiteMocharc): Promise<void> {
  mocha.files = [...mocharc.spec];
  await mocha.loadFilesAsync();
}

/** mocha's root-hook plugin contract: `mochaHooks` is the hooks object or a (possibly async) function returning it. */
export async function loadRootHooks(files: readonly string[]): Promise<Mocha.RootHookObject> {
  type Hook = Mocha.Func | Mocha.AsyncFunc;
  const merged: Record<keyof Mocha.RootHookObject, Hook[]> = { beforeAll: [], beforeEach: [], afterAll: [], afterEach: [] };
  for (const file of files) {
    // import(), not require(): the hooks must share the CLI's module instances (support/run.ts).
    const loaded = (await import(pathToFileURL(file).href)) as { mochaHooks?: unknown };
    const exported = loaded.mochaHooks;
    const hooks = (typeof exported === 'function' ? await (exported as () => unknown)() : exported) as Mocha.RootHookObject | undefined;
    if (!hooks || typeof hooks !== 'object') throw new Error(`${file} exports no mochaHooks`);
    for (const key of ['beforeAll', 'beforeEach', 'afterAll', 'afterEach'] as const) {
      const value = hooks[key];
      if (value !== undefined) merged[key].push(...((Array.isArray(value) ? value : [value]) as Hook[]));
    }
  }
  // Mixed sync/async lists are fine for mocha; the declared type only forbids them.
  return merged as Mocha.RootHookObject;
}
