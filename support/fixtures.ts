// Loads the YAML manifests of fixtures/ with client-node's loadAllYaml: placeholders (${AGNHOST_IMAGE}, ...) are
// filled in first, every document must be a named Kubernetes object, and the run's namespace is set on each one.
// A malformed fixture is a ConfigurationError naming the file (exit 2), never a stack trace mid-run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { ConfigurationError } from './errors.ts';
import { PROJECT_ROOT } from './mocharc.ts';

/** The repository's fixtures/, or $DSC_FIXTURES_DIR (a copy with the same file names, e.g. to adapt a fixture). */
export const FIXTURES_DIR = process.env.DSC_FIXTURES_DIR
  ? path.resolve(process.env.DSC_FIXTURES_DIR)
  : path.join(PROJECT_ROOT, 'fixtures');

export class FixtureError extends ConfigurationError {
  override readonly name = 'FixtureError';
}

export type FixtureVariables = Readonly<Record<string, string>>;

/** Replaces every ${NAME}; a placeholder without a value is an error, so no object ships with a literal "${...}". */
export function renderTemplate(text: string, variables: FixtureVariables, label: string): string {
  const missing = new Set<string>();
  const rendered = text.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (placeholder, name: string) => {
    const value = variables[name];
    if (value === undefined) {
      missing.add(name);
      return placeholder;
    }
    return value;
  });
  if (missing.size > 0) {
    throw new FixtureError(`fixture ${label}: no value for placeholder(s) ${[...missing].map((n) => `\${${n}}`).join(', ')}`);
  }
  return rendered;
}

/** Parses rendered YAML into objects, checking each has apiVersion, kind and metadata.name; sets the namespace. */
export function parseFixture(text: string, label: string, namespace: string | undefined): KubernetesObject[] {
  let documents: unknown[];
  try {
    documents = loadAllYaml(text);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    const hint = error instanceof TypeError ? ' (an empty YAML document, e.g. a stray "---"?)' : '';
    throw new FixtureError(`fixture ${label} is malformed: ${message}${hint}`);
  }
  if (documents.length === 0) throw new FixtureError(`fixture ${label} holds no object`);
  return documents.map((document, index) => {
    const object = document as KubernetesObject | null;
    const where = `fixture ${label}, document ${index + 1}`;
    if (!object || typeof object !== 'object') throw new FixtureError(`${where} is not a mapping`);
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      throw new FixtureError(`${where} lacks apiVersion or kind`);
    }
    if (typeof object.metadata?.name !== 'string' || object.metadata.name === '') {
      throw new FixtureError(`${where} (${object.kind}) lacks metadata.name`);
    }
    if (namespace !== undefined) object.metadata.namespace = namespace;
    return object;
  });
}

export interface FixtureLoadOptions {
  readonly variables: FixtureVariables;
  /** Set on every object; undefined leaves metadata.namespace as written. */
  readonly namespace: string | undefined;
  /** Directory to read from; defaults to the repository's fixtures/. */
  readonly directory?: string;
}

/** Reads fixtures/<file>, fills placeholders, parses and validates it. */
export function loadFixture(file: string, options: FixtureLoadOptions): KubernetesObject[] {
  const directory = options.directory ?? FIXTURES_DIR;
  const fullPath = path.join(directory, file);
  let text: string;
  try {
    text = readFileSync(fullPath, 'utf8');
  } catch (error) {
    throw new FixtureError(`fixture ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseFixture(renderTemplate(text, options.variables, file), file, options.namespace);
}

/** Like loadFixture, for a file holding exactly one object of the given kind. */
export function loadSingleFixture<T extends KubernetesObject>(file: string, kind: string, options: FixtureLoadOptions): T {
  const objects = loadFixture(file, options);
  const [first] = objects;
  if (objects.length !== 1 || !first || first.kind !== kind) {
    throw new FixtureError(`fixture ${file} must hold exactly one ${kind}, found ${objects.map((o) => o.kind).join(', ')}`);
  }
  return first as T;
}
