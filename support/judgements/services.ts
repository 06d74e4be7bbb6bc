// Service judgements: family policy and clusterIPs against the service ranges, and EndpointSlices per family.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { ServiceRanges } from '../families.ts';
import { cidrContains, familyOf, formatList, judgeClusterAddress, parseCidr, sameAddress, type IpFamily } from '../../lib/ip.ts';
import { serviceRef } from './objects.ts';
import { prefixed } from './problems.ts';

export interface ExpectedAllocation {
  readonly policy: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** ipFamilies in order; clusterIPs must follow the same order. */
  readonly families: readonly IpFamily[];
}

/** "ServiceCIDR kubernetes [...], ServiceCIDR extra [...]" when several objects hold ranges of the family, else ''. */
function describeRangeOwners(ranges: ServiceRanges, family: IpFamily): string {
  const owners = ranges.serviceCidrs
    .map((range) => ({ name: range.name, cidrs: range.cidrs.filter((cidr) => parseCidr(cidr)?.family === family) }))
    .filter((range) => range.cidrs.length > 0);
  return owners.length < 2 ? '' : owners.map((range) => `ServiceCIDR ${range.name} ${formatList(range.cidrs)}`).join(', ');
}

export function judgeServiceAllocation(service: V1Service, expected: ExpectedAllocation, ranges: ServiceRanges): string[] {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const ipFamilies = service.spec?.ipFamilies ?? [];
  const policy = service.spec?.ipFamilyPolicy;
  const problems: string[] = [];
  if (policy !== expected.policy) problems.push(`expected ipFamilyPolicy ${expected.policy}, got ${policy ?? '<unset>'}`);
  if (ipFamilies.join(',') !== expected.families.join(',')) {
    problems.push(`expected ipFamilies [${expected.families.join(',')}]`);
  }
  if (clusterIPs.length !== expected.families.length) {
    problems.push(`expected ${expected.families.length} clusterIP(s), got ${clusterIPs.length}`);
  }
  expected.families.forEach((family, index) => {
    const ip = clusterIPs[index];
    if (ip === undefined) return;
    const judged = judgeClusterAddress(ip);
    if (!judged.valid) problems.push(`clusterIPs[${index}] ${judged.reason}`);
    else if (judged.family !== family) problems.push(`expected ${family} at [${index}], got ${judged.family} ${ip}`);
    else {
      // Containment is judged only against known CIDRs (ServiceCIDR objects); a probe Service tells families, not
      // ranges. Any ServiceCIDR may hand out the address, so it must lie in one of them.
      const rangesOfFamily = ranges.cidrs.filter((cidr) => parseCidr(cidr)?.family === family);
      if (rangesOfFamily.length > 0 && !rangesOfFamily.some((cidr) => cidrContains(cidr, ip))) {
        const owners = describeRangeOwners(ranges, family);
        problems.push(
          owners === ''
            ? `${ip} is outside the ${family} service range ${formatList(rangesOfFamily)}`
            : `${ip} is outside every ${family} service range (${owners})`,
        );
      }
    }
  });
  const clusterIP = service.spec?.clusterIP;
  if (clusterIPs[0] !== undefined && clusterIP !== clusterIPs[0]) {
    problems.push(`spec.clusterIP=${clusterIP ?? '<unset>'} differs from clusterIPs[0]`);
  }
  return prefixed(
    `${serviceRef(service)}: ipFamilyPolicy=${policy ?? '<unset>'} clusterIPs=${formatList(clusterIPs)} families=[${ipFamilies.join(',')}]`,
    problems,
  );
}

export interface Backend {
  readonly name: string;
  readonly ips: readonly string[];
}

/** Addresses of a family that EndpointSlices of a Service list, ready or not, with their slice names. */
export function endpointSliceAddresses(slices: readonly V1EndpointSlice[], family: IpFamily): string[] {
  return slices
    .filter((slice) => slice.addressType === family)
    .flatMap((slice) => (slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false))
    .flatMap((endpoint) => endpoint.addresses);
}

export function judgeEndpointSlices(
  service: V1Service,
  slices: readonly V1EndpointSlice[],
  backends: readonly Backend[],
  family: IpFamily,
): string[] {
  const listed = endpointSliceAddresses(slices, family);
  const expected = backends.flatMap((backend) => backend.ips.filter((ip) => familyOf(ip) === family));
  const sliceSummary = slices.map((slice) => `${slice.metadata?.name ?? '?'}(${slice.addressType})`).join(', ') || 'none';
  const where = `${serviceRef(service)}: EndpointSlices ${sliceSummary}; ${family} ready addresses=${formatList(listed)}`;
  if (!slices.some((slice) => slice.addressType === family)) return [`${where}; no EndpointSlice of addressType ${family}`];
  const missing = expected.filter((ip) => !listed.some((address) => sameAddress(address, ip)));
  const extra = listed.filter((address) => !expected.some((ip) => sameAddress(address, ip)));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing backends' ${family} addresses ${formatList(missing)}`);
  if (extra.length > 0) problems.push(`unexpected addresses ${formatList(extra)}`);
  if (expected.length === 0) problems.push(`the backends have no ${family} address`);
  return prefixed(where, problems);
}
