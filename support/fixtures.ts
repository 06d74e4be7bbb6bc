// Loads the YAML manifests of fixtures/ with client-node's loadAllYaml. Placeholders of names and numbers the suite
// or the API server made (${NAMESPACE}, ${NODE_NAME}, ${HOSTNET_PORT}, ...) are filled into the text first, and only
// with plain values; image placeholders (${AGNHOST_IMAGE}, any ${*_IMAGE}) are set on the parsed objects as whole
// `image:` values, so no value, whatever it holds, can change a manifest's structure. Every document must be a named
// Kubernetes object, and the run's namespace is set on each one. A malformed fixture is a ConfigurationError naming
// the file (exit 2), never a stack trace mid-run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { ConfigurationError } from '../lib/errors.ts';
import { imageReferenceError, parseImageReference } from './image-ref.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';

/** The repository's fixtures/, or $DSC_FIXTURES_DIR (a copy with the same file names, e.g. to adapt a fixture). */
export const FIXTURES_DIR = process.env.DSC_FIXTURES_DIR
  ? path.resolve(process.env.DSC_FIXTURES_DIR)
  : path.join(PROJECT_ROOT, 'fixtures');

export class FixtureError extends ConfigurationError {
  override readonly name = 'FixtureError';
}

export type FixtureVariables = Readonly<Record<string, string>>;

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;
/** Set after parsing, as a whole `image:` value only. */
const isImagePlaceholder = (name: string): boolean => name.endsWith('_IMAGE');
const WHOLE_IMAGE_PLACEHOLDER = /^\$\{([A-Z][A-Z0-9_]*_IMAGE)\}$/;
/** What may be pasted into YAML text: it stays one plain scalar wherever it lands. */
const PLAIN_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Replaces every ${NAME} but image placeholders, which stay for setImages; a placeholder without a value is an
 * error, so no object ships with a literal "${...}", and so is a value that is not a plain name or number.
 */
export function renderTemplate(text: string, variables: FixtureVariables, label: string): string {
  const missing = new Set<string>();
  const unsafe = new Set<string>();
  const rendered = text.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = variables[name];
    if (value === undefined) {
      missing.add(name);
      return placeholder;
    }
    if (isImagePlaceholder(name)) return placeholder;
    if (!PLAIN_VALUE.test(value)) {
      unsafe.add(`\${${name}}=${JSON.stringify(value)}`);
      return placeholder;
    }
    return value;
  });
  if (missing.size > 0) {
    throw new FixtureError(`fixture ${label}: no value for placeholder(s) ${[...missing].map((n) => `\${${n}}`).join(', ')}`);
  }
  if (unsafe.size > 0) {
    throw new FixtureError(`fixture ${label}: ${[...unsafe].join(', ')} is not a plain name or number ([A-Za-z0-9._-]), the only values put into YAML text`);
  }
  return rendered;
}

/**
 * Sets every `image: ${X_IMAGE}` of the parsed objects to the variable's value, checked as an image reference; an
 * image placeholder anywhere else is an error (it would reach the API server as text).
 */
export function setImages(objects: readonly KubernetesObject[], variables: FixtureVariables, label: string): void {
  const strayCheck = (text: string, where: string): void => {
    const stray = [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '').find(isImagePlaceholder);
    if (stray !== undefined) throw new FixtureError(`fixture ${label}, ${where}: \${${stray}} may only be a whole image: value`);
  };
  const visit = (node: unknown, where: string): void => {
    if (typeof node === 'string') strayCheck(node, where);
    if (Array.isArray(node)) {
      node.forEach((child, index) => visit(child, `${where}[${index}]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      const whole = key === 'image' && typeof child === 'string' ? WHOLE_IMAGE_PLACEHOLDER.exec(child) : null;
      if (whole?.[1] === undefined) {
        visit(child, `${where}.${key}`);
        continue;
      }
      const value = variables[whole[1]] ?? '';
      const parsed = parseImageReference(value);
      if (parsed.problem !== undefined) throw new FixtureError(`fixture ${label}, ${where}.${key}: ${imageReferenceError(`\${${whole[1]}}`, value, parsed.problem)}`);
      record[key] = value;
    }
  };
  objects.forEach((object, index) => visit(object, `document ${index + 1}`));
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
  const objects = parseFixture(renderTemplate(text, options.variables, file), file, options.namespace);
  setImages(objects, options.variables, file);
  return objects;
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
