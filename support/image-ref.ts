// A strict grammar for container image references, after the one container registries and runtimes accept
// (registry host[:port], lowercase path components, an optional tag, an optional sha256 digest). Every image option is
// parsed with it before anything runs, so a value holding whitespace, a `#`, a newline or any other character a
// reference cannot have is one configuration error line, never a surprise inside a manifest or a docker request.
import { parseIp } from '../lib/ip.ts';

export interface ImageReference {
  /** The registry host and port when the reference names one ("registry.k8s.io", "localhost:5000", "[fd00::1]:5000"). */
  readonly registry: string | undefined;
  /** Path components after the registry ("e2e-test-images/agnhost", "library/busybox", "busybox"). */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export const IMAGE_REFERENCE_FORM = 'host[:port]/path[:tag][@sha256:<64 hex>]';

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const PORT = /^[0-9]{1,5}$/;
// Lowercase alphanumerics joined by one `.`, one or two `_`, or any number of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** The longest name (registry and path) registries accept. */
const MAX_NAME_LENGTH = 255;

/** "host" or "host:port" or "[ipv6]:port" as a registry, or why not. */
function registryProblem(text: string): string | undefined {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  let host = text;
  let port: string | undefined;
  if (bracketed) {
    const address = parseIp(bracketed[1] ?? '');
    if (!address || address.syntax !== 'IPv6' || address.zoneId !== undefined) return `registry host [${bracketed[1] ?? ''}] is not an IPv6 address`;
    port = bracketed[2];
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
    const bad = host.split('.').find((label) => !HOST_LABEL.test(label));
    if (bad !== undefined) return `registry host "${host}" has an invalid label "${bad}"`;
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65_535)) return `registry port "${port}" is not a port number`;
  return undefined;
}

/** Where upstream's e2e test images live; `--image-registry` replaces this prefix (as e2e's KUBE_TEST_REPO_LIST does). */
export const UPSTREAM_E2E_REGISTRY = 'registry.k8s.io/e2e-test-images';

/** A mirror prefix (`host[:port][/path]`, no tag or digest), or why not. */
export function registryPrefixProblem(prefix: string): string | undefined {
  if (prefix.endsWith('/')) return 'it ends with "/"';
  const parsed = parseImageReference(`${prefix}/image`);
  if (parsed.problem !== undefined) return parsed.problem;
  if (parsed.reference.tag !== undefined || parsed.reference.digest !== undefined || !prefix.includes('/') && parsed.reference.registry === undefined) {
    return 'it is not a registry host with an optional path';
  }
  return undefined;
}

/** The image as pulled from the mirror: upstream's e2e prefix replaced, any other reference unchanged. */
export function mirroredImage(image: string, prefix: string | undefined): string {
  if (prefix === undefined || !image.startsWith(`${UPSTREAM_E2E_REGISTRY}/`)) return image;
  return `${prefix}${image.slice(UPSTREAM_E2E_REGISTRY.length)}`;
}

/** Parses a reference; `problem` says what is wrong with the first thing that is. */
export function parseImageReference(text: string): { reference: ImageReference; problem?: undefined } | { reference?: undefined; problem: string } {
  if (text === '') return { problem: 'it is empty' };
  const unsafe = /[\s#"'`$\\{}<>|;&*?!,=%^~()]|[^\x20-\x7e]/u.exec(text);
  if (unsafe) {
    const shown = JSON.stringify(unsafe[0]).slice(1, -1);
    return { problem: `it contains ${shown === ' ' ? 'a space' : `"${shown}"`} at position ${unsafe.index + 1}` };
  }
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { problem: `digest "${digest}" is not sha256:<64 lowercase hex>` };
  }
  // A tag follows the last `:` after the last `/` (a `:` before it belongs to the registry's port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { problem: `tag "${tag}" is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` };
  }
  if (rest.length > MAX_NAME_LENGTH) return { problem: `the name is ${rest.length} characters long (at most ${MAX_NAME_LENGTH})` };
  const components = rest.split('/');
  // The first component is a registry when it looks like a host: a dot, a port, "localhost" or an uppercase letter
  // (path components are lowercase, so "Docker.io/x" and "Registry/x" can only mean a host).
  const first = components[0] ?? '';
  let registry: string | undefined;
  if (components.length > 1 && (/[.:[]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first;
    components.shift();
    const problem = registryProblem(registry);
    if (problem) return { problem };
  }
  if (components.length === 0 || components.some((component) => component === '')) return { problem: `path "${components.join('/')}" has an empty component` };
  const bad = components.find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined) {
    const why = bad !== bad.toLowerCase() ? 'uppercase letters' : 'characters or separators outside [a-z0-9] joined by ".", "_", "__" or "-"';
    return { problem: `path component "${bad}" has ${why}` };
  }
  return { reference: { registry, path: components.join('/'), tag, digest } };
}

/** The one line for an image option whose value is not a reference (the value shown with escapes, e.g. "\n"). */
export function imageReferenceError(source: string, value: string, problem: string): string {
  return `${source} ${JSON.stringify(value)} is not an image reference (${IMAGE_REFERENCE_FORM}): ${problem}`;
}
