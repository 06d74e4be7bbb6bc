import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { scratchDirectory } from '../test/helpers.ts';
import { IMAGE_SETTINGS } from './config.ts';
import { FixtureError, loadFixture, loadSingleFixture, renderTemplate } from './fixtures.ts';

// The test files below hold only image placeholders; pod01.yaml holds only ${BUSYBOX_IMAGE}.
const variables = { AGNHOST_IMAGE: IMAGE_SETTINGS.agnhost.default, BUSYBOX_IMAGE: IMAGE_SETTINGS.busybox.default };

describe('fixtures: images are set on the parsed objects, never pasted into YAML', function () {
  const { directory, write } = scratchDirectory('dsc-fixture-images-');
  const pod = (image: string): string =>
    ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', 'spec:', '  containers:', '    - name: c', `      image: ${image}`, '      args: ["pause"]', ''].join('\n');

  it('leaves image placeholders in the text and fills them as whole values after parsing', function () {
    expect(renderTemplate(pod('${BUSYBOX_IMAGE}'), variables, 'p.yaml')).to.contain('image: ${BUSYBOX_IMAGE}');
    const loaded = loadSingleFixture<V1Pod>('pod01.yaml', 'Pod', { variables, namespace: 'dsc-test' });
    expect(loaded.spec?.containers[0]?.image).to.equal(IMAGE_SETTINGS.busybox.default);
  });

  it('a value holding a newline and YAML stays one string: no key is added, and it is refused as a reference', function () {
    const file = write('pod.yaml', pod('${AGNHOST_IMAGE}'));
    const hostile = { ...variables, AGNHOST_IMAGE: 'agnhost:2.56\n  hostNetwork: true' };
    expect(() => loadFixture(file, { variables: hostile, namespace: 'ns', directory })).to.throw(
      FixtureError,
      /^fixture pod\.yaml, document 1\.spec\.containers\[0\]\.image: \$\{AGNHOST_IMAGE\} "agnhost:2\.56\\n {2}hostNetwork: true" is not an image reference .*"\\n" at position 13$/,
    );
    const hash = { ...variables, AGNHOST_IMAGE: 'agnhost:2.56 # comment' };
    expect(() => loadFixture(file, { variables: hash, namespace: 'ns', directory })).to.throw(FixtureError, /contains a space at position 13/);
    const [object] = loadFixture(file, { variables, namespace: 'ns', directory }) as V1Pod[];
    expect(object?.spec).to.deep.equal({ containers: [{ name: 'c', image: IMAGE_SETTINGS.agnhost.default, args: ['pause'] }] });
  });

  it('refuses an image placeholder that is not a whole image value, and text values that are not plain', function () {
    const embedded = write('embedded.yaml', pod('mirror/${AGNHOST_IMAGE}'));
    expect(() => loadFixture(embedded, { variables, namespace: 'ns', directory })).to.throw(
      FixtureError,
      /^fixture embedded\.yaml, document 1\.spec\.containers\[0\]\.image: \$\{AGNHOST_IMAGE\} may only be a whole image: value$/,
    );
    const elsewhere = write('elsewhere.yaml', pod('${AGNHOST_IMAGE}').replace('args: ["pause"]', 'args: ["${BUSYBOX_IMAGE}"]'));
    expect(() => loadFixture(elsewhere, { variables, namespace: 'ns', directory })).to.throw(FixtureError, /\.args\[0\]: \$\{BUSYBOX_IMAGE\} may only be/);
    expect(() => renderTemplate('name: ${NAMESPACE}', { NAMESPACE: 'a\nb: c' }, 'x.yaml')).to.throw(
      FixtureError,
      /^fixture x\.yaml: \$\{NAMESPACE\}="a\\nb: c" is not a plain name or number/,
    );
    expect(() => renderTemplate('image: ${NOPE_IMAGE}', variables, 'x.yaml')).to.throw(FixtureError, /no value for placeholder\(s\) \$\{NOPE_IMAGE\}/);
  });
});
