import { expect } from 'chai';
import { IMAGE_SETTINGS, parseCli } from './config.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { parseImageReference } from './image-ref.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('image references: the grammar', function () {
  it('accepts the defaults and the usual forms, splitting registry, path, tag and digest', function () {
    expect(parseImageReference(IMAGE_SETTINGS.agnhost.default).reference).to.deep.equal({
      registry: 'registry.k8s.io',
      path: 'e2e-test-images/agnhost',
      tag: '2.56',
      digest: undefined,
    });
    expect(parseImageReference(IMAGE_SETTINGS.busybox.default).reference?.path).to.equal('e2e-test-images/busybox');
    expect(parseImageReference('busybox').reference).to.deep.equal({ registry: undefined, path: 'busybox', tag: undefined, digest: undefined });
    expect(parseImageReference('mirror/agnhost:2.56').reference?.registry).to.equal(undefined);
    expect(parseImageReference('localhost:5000/e2e/agnhost:2.56').reference).to.deep.equal({
      registry: 'localhost:5000',
      path: 'e2e/agnhost',
      tag: '2.56',
      digest: undefined,
    });
    expect(parseImageReference(`registry.example:443/a/b-c__d.e/f:v1.2_rc-3@${DIGEST}`).reference).to.deep.equal({
      registry: 'registry.example:443',
      path: 'a/b-c__d.e/f',
      tag: 'v1.2_rc-3',
      digest: DIGEST,
    });
    expect(parseImageReference(`busybox@${DIGEST}`).reference?.digest).to.equal(DIGEST);
    expect(parseImageReference('[fd00:10::5]:5000/agnhost:2.56').reference?.registry).to.equal('[fd00:10::5]:5000');
    expect(parseImageReference('Registry.Example/agnhost').reference?.registry).to.equal('Registry.Example');
  });

  it('rejects what could change a manifest or a request: whitespace, #, newlines, quotes, shell and YAML characters', function () {
    const cases: [string, RegExp][] = [
      ['busybox:1.35 #x', /contains a space at position 13/],
      ['busybox:1.35#x', /contains "#" at position 13/],
      ['busybox:1.35\nsecurityContext: {privileged: true}', /contains "\\n" at position 13/],
      ['busybox\t', /contains "\\t" at position 8/],
      ['busybox:1.35\r', /contains "\\r"/],
      ['"busybox"', /contains "\\""/],
      ['busybox:{1}', /contains "\{"/],
      ['busybox:$(id)', /contains "\$"/],
      ['busybóx', /contains "ó"/],
      ['', /it is empty/],
    ];
    for (const [text, problem] of cases) expect(parseImageReference(text).problem, JSON.stringify(text)).to.match(problem);
  });

  it('rejects uppercase path components, bad separators, tags, digests, registries and ports', function () {
    const cases: [string, RegExp][] = [
      ['library/BusyBox:1', /path component "BusyBox" has uppercase letters/],
      ['registry.k8s.io/E2E/agnhost', /path component "E2E" has uppercase letters/],
      ['a//b', /empty component/],
      ['registry.k8s.io/', /empty component/],
      ['/busybox', /empty component/],
      ['bad_-sep', /path component "bad_-sep" has characters or separators/],
      ['a___b', /path component "a___b"/],
      ['-lead', /path component "-lead"/],
      ['busybox:', /tag "" is not/],
      ['busybox:.1', /tag ".1" is not/],
      [`busybox:${'t'.repeat(129)}`, /tag "t+" is not/],
      ['busybox@sha256:abc', /digest "sha256:abc" is not sha256:<64 lowercase hex>/],
      [`busybox@sha512:${'0'.repeat(64)}`, /digest "sha512:/],
      [`busybox@${DIGEST.toUpperCase()}`, /digest "SHA256:/],
      ['reg-.example/x', /registry host "reg-.example" has an invalid label "reg-"/],
      ['localhost:99999/x', /registry port "99999" is not a port number/],
      ['localhost:/x', /registry port "" is not a port number/],
      ['[fd00::1%eth0]:5000/x', /contains "%"/],
      ['[10.0.0.1]:5000/x', /registry host \[10\.0\.0\.1\] is not an IPv6 address/],
      [`${'a'.repeat(256)}:1`, /the name is 256 characters long \(at most 255\)/],
    ];
    for (const [text, problem] of cases) expect(parseImageReference(text).problem, text).to.match(problem);
  });
});

describe('image references: every image option is one configuration line', function () {
  it('names the option and shows the value with escapes, for flags and the environment', function () {
    expect(() => parseCli(['--busybox-image', 'busybox:1.35 #x'], {})).to.throw(
      ConfigurationError,
      /^--busybox-image "busybox:1\.35 #x" is not an image reference \(host\[:port\]\/path\[:tag\]\[@sha256:<64 hex>\]\): it contains a space at position 13$/,
    );
    expect(() => parseCli([], { DSC_AGNHOST_IMAGE: 'agnhost:2.56\nhostNetwork: true' })).to.throw(
      ConfigurationError,
      /^DSC_AGNHOST_IMAGE "agnhost:2\.56\\nhostNetwork: true" is not an image reference .*: it contains "\\n" at position 13$/,
    );
    expect(() => parseCli(['--offcluster-image', 'Client:1'], {})).to.throw(ConfigurationError, /^--offcluster-image "Client:1" .*path component "Client" has uppercase letters$/);
    expect(() => parseCli(['--print-images', '--agnhost-image', 'a#b'], {})).to.throw(ConfigurationError, /--agnhost-image "a#b"/);
    // No silent repair: a stray trailing newline (e.g. from a file) is reported, not trimmed away.
    expect(() => parseCli([], { DSC_BUSYBOX_IMAGE: 'busybox:1.35.0\n' })).to.throw(ConfigurationError, /it contains "\\n" at position 15/);
    expect(() => parseCli(['--busybox-image', '  '], {})).to.throw(ConfigurationError, /^--busybox-image is empty$/);
  });
});
