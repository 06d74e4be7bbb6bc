// The documents a check's catalog entry points to: the steps of the "Validate IPv4/IPv6 dual-stack" page and the
// upstream e2e file most checks have an equivalent in.
export const PAGE_NODES = 'Validate addressing › Validate node addressing';
export const PAGE_PODS = 'Validate addressing › Validate Pod addressing';
export const PAGE_SERVICES = 'Validate Services';
export const PAGE_LB = 'Validate Services › Create a dual-stack load balanced Service';
export const UPSTREAM = 'test/e2e/network/dual_stack.go';

/** An upstream "Granular Checks: Services Secondary IP Family" test, by the path it probes ("pod-Service: http"). */
export const upstreamGranular = (path: string): string => `${UPSTREAM}: "Granular Checks: Services Secondary IP Family: should function for ${path}"`;
