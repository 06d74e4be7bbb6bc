// Robustness cases of the image options (support/image-ref.ts): a value that could change a manifest's structure (a
// `#` starting a YAML comment, a newline starting a new key) is refused before anything runs, with one line naming
// the option and showing the value as given.
import { expectOneLine, runSuite, type RobustnessCase, type RobustnessTarget } from './robustness.ts';

export function imageCases(target: RobustnessTarget): RobustnessCase[] {
  const env = { KUBECONFIG: target.kubeconfig };
  return [
    {
      name: 'bad input: an image option holding "#" (--busybox-image)',
      fn: async () =>
        expectOneLine(await runSuite({ args: ['--busybox-image', 'docker.io/library/busybox:1.35.0#privileged'], env, timeoutMs: 60_000 }), [
          '--busybox-image "docker.io/library/busybox:1.35.0#privileged" is not an image reference',
          'contains "#" at position 33',
        ]),
    },
    {
      name: 'bad input: an image option holding a newline (DSC_AGNHOST_IMAGE)',
      fn: async () =>
        expectOneLine(
          await runSuite({ args: [], env: { ...env, DSC_AGNHOST_IMAGE: 'registry.k8s.io/e2e-test-images/agnhost:2.56\n      securityContext: {privileged: true}' }, timeoutMs: 60_000 }),
          ['DSC_AGNHOST_IMAGE "registry.k8s.io/e2e-test-images/agnhost:2.56\\n', 'is not an image reference', 'contains "\\n" at position 45'],
        ),
    },
  ];
}
