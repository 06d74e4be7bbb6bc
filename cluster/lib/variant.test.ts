import { loadYaml } from '@kubernetes/client-node';
import { expect } from 'chai';
import { expectedFamilies, renderKindConfig, variantLabel } from './variant.ts';

interface RenderedConfig {
  networking: { ipFamily: string; podSubnet: string; serviceSubnet: string; kubeProxyMode: string };
  nodes: { role: string }[];
}

const render = (ipFamily: 'dual' | 'ipv4' | 'ipv6', primary: 'IPv4' | 'IPv6') =>
  loadYaml<RenderedConfig>(renderKindConfig({ ipFamily, primary }));

describe('cluster variants: kind configs derived from kind-config.yaml', function () {
  it('keeps the reference dual-stack config IPv4 first, one control-plane and one worker', function () {
    const c = render('dual', 'IPv4');
    expect(c.networking.ipFamily).to.equal('dual');
    expect(c.networking.podSubnet).to.equal('10.244.0.0/16,fd00:10:244::/56');
    expect(c.networking.serviceSubnet).to.equal('10.96.0.0/16,fd00:10:96::/112');
    expect(c.networking.kubeProxyMode).to.equal('iptables');
    expect(c.nodes.map((n) => n.role)).to.deep.equal(['control-plane', 'worker']);
  });

  it('puts the IPv6 ranges first for an IPv6-primary dual-stack cluster', function () {
    const c = render('dual', 'IPv6');
    expect(c.networking.podSubnet).to.equal('fd00:10:244::/56,10.244.0.0/16');
    expect(c.networking.serviceSubnet).to.equal('fd00:10:96::/112,10.96.0.0/16');
    expect(expectedFamilies({ ipFamily: 'dual', primary: 'IPv6' })).to.deep.equal(['IPv6', 'IPv4']);
  });

  it('gives single-stack clusters only their own family', function () {
    expect(render('ipv4', 'IPv4').networking.podSubnet).to.equal('10.244.0.0/16');
    expect(render('ipv6', 'IPv6').networking.serviceSubnet).to.equal('fd00:10:96::/112');
    expect(expectedFamilies({ ipFamily: 'ipv6', primary: 'IPv6' })).to.deep.equal(['IPv6']);
    expect(variantLabel({ ipFamily: 'ipv4', primary: 'IPv4' })).to.equal('ipv4');
    expect(variantLabel({ ipFamily: 'dual', primary: 'IPv6' })).to.equal('dual (IPv6 primary)');
  });
});
