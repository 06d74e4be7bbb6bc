import { expect } from 'chai';
import { capSysResourceMissing, decidePrepare, decideUnprepare, recordedRoutes, routeStep, type PrepareFacts } from './host-config.ts';

const file = '/etc/docker/daemon.json';
const wrapper = '/usr/local/lib/dualstack-conformance/runc-wrapper';
const facts = (over: Partial<PrepareFacts>): PrepareFacts => ({ file, text: undefined, wrapper, capMissing: true, force: false, ...over });
const nvidia = JSON.stringify({ runtimes: { nvidia: { path: '/usr/bin/nvidia-container-runtime' } }, 'default-runtime': 'nvidia' });
const ours = JSON.stringify({ runtimes: { 'dsc-runc': { path: wrapper } }, 'default-runtime': 'dsc-runc' }, null, 2) + '\n';

describe('host:prepare: the capability test', function () {
  it('reads CAP_SYS_RESOURCE (bit 24) from the bounding and the effective set', function () {
    const status = (bnd: string, eff: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${eff}\nCapBnd:\t${bnd}\n`;
    expect(capSysResourceMissing(status('000001fffeffffff', '000001fffeffffff'))).to.equal(true); // this VM
    expect(capSysResourceMissing(status('000001ffffffffff', '000001ffffffffff'))).to.equal(false);
    expect(capSysResourceMissing(status('000001ffffffffff', '0000000000000000'))).to.equal(true);
    expect(() => capSysResourceMissing('Name:\tnode\n')).to.throw('CapBnd');
  });
});

describe('host:prepare: daemon.json', function () {
  it('registers the wrapper where there is no daemon.json, an empty one or only docker\'s own runc', function () {
    for (const text of [undefined, '', '{}', '{"default-runtime": "runc"}']) {
      const d = decidePrepare(facts({ text }));
      expect(d.action, String(text)).to.equal('write');
      const written = JSON.parse(d.action === 'write' ? d.text : '{}') as Record<string, unknown>;
      expect(written['default-runtime']).to.equal('dsc-runc');
      expect(written.runtimes).to.deep.equal({ 'dsc-runc': { path: wrapper } });
    }
  });

  it('recognises its own runtime: a second prepare writes nothing', function () {
    expect(decidePrepare(facts({ text: ours })).action).to.equal('keep');
    const moved = decidePrepare(facts({ text: ours, wrapper: '/opt/elsewhere/runc-wrapper' }));
    expect(moved.action).to.equal('write');
  });

  it('refuses to replace another default runtime, in one line, unless forced', function () {
    const d = decidePrepare(facts({ text: nvidia }));
    expect(d.action).to.equal('refuse');
    const message = d.action === 'refuse' ? d.message : '';
    expect(message).to.contain('"default-runtime": "nvidia"').and.contain('--force-runtime').and.not.contain('\n');
    const forced = decidePrepare(facts({ text: nvidia, force: true }));
    expect(forced.action).to.equal('write');
    const written = JSON.parse(forced.action === 'write' ? forced.text : '{}') as { runtimes: Record<string, unknown> };
    expect(written.runtimes.nvidia, 'their runtime stays registered').to.deep.equal({ path: '/usr/bin/nvidia-container-runtime' });
  });

  it('keeps every other key, in its place', function () {
    const d = decidePrepare(facts({ text: '{"log-driver": "local", "runtimes": {}, "ipv6": true}' }));
    expect(d.action === 'write' && Object.keys(JSON.parse(d.text) as object)).to.deep.equal(['log-driver', 'runtimes', 'ipv6', 'default-runtime']);
  });

  it('installs nothing when the capability is present', function () {
    expect(decidePrepare(facts({ text: undefined, capMissing: false })).action).to.equal('keep');
    expect(decidePrepare(facts({ text: nvidia, capMissing: false })).action).to.equal('keep');
  });

  it('refuses a daemon.json that is not a JSON object', function () {
    expect(decidePrepare(facts({ text: '{"a": ' })).action).to.equal('refuse');
    expect(decidePrepare(facts({ text: '[]' })).action).to.equal('refuse');
  });
});

describe('host:unprepare: daemon.json', function () {
  const prepared = (text: string | undefined) => {
    const d = decidePrepare(facts({ text, force: true }));
    if (d.action !== 'write') throw new Error('expected a write');
    return d.text;
  };

  it('restores the backup byte for byte when daemon.json is what prepare made of it', function () {
    expect(decideUnprepare({ file, wrapper, text: prepared(nvidia), backup: nvidia }).action).to.equal('restore');
  });

  it('removes daemon.json when there was none before (empty backup), or when only our keys are in it', function () {
    expect(decideUnprepare({ file, wrapper, text: prepared(undefined), backup: '' }).action).to.equal('remove');
    expect(decideUnprepare({ file, wrapper, text: ours, backup: undefined }).action).to.equal('remove');
  });

  it('after someone else\'s edit, removes only our keys and gives the default runtime back to the backup\'s', function () {
    const edited = JSON.stringify({ ...(JSON.parse(prepared(nvidia)) as object), 'log-driver': 'local' });
    const d = decideUnprepare({ file, wrapper, text: edited, backup: nvidia });
    expect(d.action).to.equal('write');
    expect(JSON.parse(d.action === 'write' ? d.text : '{}')).to.deep.equal({
      runtimes: { nvidia: { path: '/usr/bin/nvidia-container-runtime' } },
      'default-runtime': 'nvidia',
      'log-driver': 'local',
    });
  });

  it('leaves a daemon.json without our runtime alone', function () {
    expect(decideUnprepare({ file, wrapper, text: nvidia, backup: undefined }).action).to.equal('keep');
    expect(decideUnprepare({ file, wrapper, text: undefined, backup: nvidia }).action).to.equal('keep');
  });
});

describe('host:prepare: routes', function () {
  it('adds a blackhole only where no route exists, and never over another owner\'s route', function () {
    expect(routeStep('')).to.deep.equal({ action: 'add' });
    expect(routeStep('blackhole 10.244.0.0/16 \n')).to.deep.equal({ action: 'present' });
    expect(routeStep('10.244.0.0/16 via 192.0.2.9 dev eth0 \n')).to.deep.equal({ action: 'foreign', route: '10.244.0.0/16 via 192.0.2.9 dev eth0' });
  });

  it('undoes the routes it recorded; an empty record from an older version stands for all four', function () {
    expect(recordedRoutes('-4 10.96.0.0/16\n')).to.deep.equal([{ family: '-4', cidr: '10.96.0.0/16' }]);
    expect(recordedRoutes('')).to.have.length(4);
  });
});
