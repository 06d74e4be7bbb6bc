// Draws a Topology as one self-contained SVG: node boxes on top (addresses, podCIDRs, the suite's pods on each), the
// Services below, the off-cluster client at the left; each probed path is a line per family (IPv4 solid, IPv6
// dashed) coloured by its verdict, with the checks it stands for as the line's tooltip.
import type { IpFamily } from '../../lib/ip.ts';
import { xmlAttribute as escapeXml, type Verdict } from '../results.ts';
import { byFamily, TOPOLOGY_BOXES, type Topology, type TopologyEdge } from './topology.ts';

export const VERDICT_COLOURS: Readonly<Record<Verdict, string>> = { passed: '#2e7d32', failed: '#c62828', skipped: '#9e9e9e', 'not-run': '#ef6c00' };

const LINE = 15;
const PAD = 8;
const NODE_WIDTH = 340;
const SERVICE_WIDTH = 300;
const OFFCLUSTER_WIDTH = 190;
const GAP = 40;
const MARGIN = 20;
const EDGE_BAND = 120;

interface Box {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly lines: readonly { readonly text: string; readonly bold?: boolean }[];
}

const boxHeight = (box: Pick<Box, 'lines'>): number => box.lines.length * LINE + 2 * PAD;

function drawBox(box: Box, kind: string): string {
  const texts = box.lines.map(
    (line, index) =>
      `<text x="${box.x + PAD}" y="${box.y + PAD + (index + 1) * LINE - 3}"${line.bold ? ' font-weight="bold"' : ''}>${escapeXml(line.text)}</text>`,
  );
  return [
    `<g class="${kind}" data-id="${escapeXml(box.id)}">`,
    `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${boxHeight(box)}" rx="6" fill="#ffffff" stroke="#37474f"/>`,
    ...texts,
    '</g>',
  ].join('');
}

function edgeLine(edge: TopologyEdge, d: string): string {
  const dash = edge.family === 'IPv6' ? ' stroke-dasharray="6 4"' : '';
  const title = `${edge.family}: ${edge.checks.join(', ')}`;
  return `<path class="path ${edge.verdict}" data-family="${edge.family}" d="${d}" fill="none" stroke="${VERDICT_COLOURS[edge.verdict]}" stroke-width="2"${dash}><title>${escapeXml(title)}</title></path>`;
}

const familyOffset = (family: IpFamily): number => (family === 'IPv4' ? -4 : 4);

export function renderTopologySvg(topology: Topology): string {
  const top = MARGIN + 24;
  const offclusterX = MARGIN;
  const nodesX = topology.offcluster ? offclusterX + OFFCLUSTER_WIDTH + GAP : MARGIN;

  const nodeBoxes: Box[] = topology.nodes.map((node, index) => ({
    id: `node:${node.name}`,
    x: nodesX + index * (NODE_WIDTH + GAP),
    y: top,
    width: NODE_WIDTH,
    lines: [
      { text: `node ${node.name}`, bold: true },
      { text: `InternalIP ${byFamily(node.internalIps).join('  ') || 'none'}` },
      { text: `podCIDRs ${byFamily(node.podCidrs).join('  ') || 'none'}` },
      ...node.pods.flatMap((pod) => [
        { text: `${pod.hostNetwork ? 'hostNetwork pod' : 'pod'} ${pod.name}` },
        { text: `  ${byFamily(pod.ips).join('  ') || 'no IP'}` },
      ]),
    ],
  }));
  const nodesBottom = Math.max(top, ...nodeBoxes.map((box) => box.y + boxHeight(box)));

  const columns = Math.max(3, Math.floor(((nodeBoxes.at(-1)?.x ?? nodesX) + NODE_WIDTH - MARGIN) / (SERVICE_WIDTH + GAP)));
  const serviceTop = nodesBottom + EDGE_BAND;
  const serviceBoxes: Box[] = [];
  let rowTop = serviceTop;
  for (let start = 0; start < topology.serviceBoxes.length; start += columns) {
    const row = topology.serviceBoxes.slice(start, start + columns).map(
      (box, index): Box => ({
        id: box.id,
        x: MARGIN + index * (SERVICE_WIDTH + GAP),
        y: rowTop,
        width: SERVICE_WIDTH,
        lines: [
          { text: box.title, bold: true },
          ...box.services.flatMap((service) => [
            ...(box.services.length > 1 ? [{ text: service.name }] : []),
            { text: `  ${service.type} ${byFamily(service.clusterIps).join('  ') || 'headless'}` },
            ...(service.externalIps.length > 0 ? [{ text: `  external ${byFamily(service.externalIps).join('  ')}` }] : []),
          ]),
        ],
      }),
    );
    serviceBoxes.push(...row);
    rowTop = Math.max(...row.map((box) => box.y + boxHeight(box))) + GAP;
  }

  const offclusterBox: Box | undefined = topology.offcluster
    ? { id: TOPOLOGY_BOXES.offcluster, x: offclusterX, y: top, width: OFFCLUSTER_WIDTH, lines: [{ text: 'off-cluster client', bold: true }, { text: 'container on the nodes\u2019' }, { text: 'docker network' }] }
    : undefined;

  const byId = new Map([...serviceBoxes, ...(offclusterBox ? [offclusterBox] : [])].map((box) => [box.id, box]));
  const paths: string[] = [];
  for (const edge of topology.edges) {
    const shift = familyOffset(edge.family);
    if (edge.to === TOPOLOGY_BOXES.nodeRing) {
      // pod -> pod: an arc over each pair of neighbouring nodes.
      for (let index = 0; index + 1 < nodeBoxes.length; index += 1) {
        const a = nodeBoxes[index] as Box;
        const b = nodeBoxes[index + 1] as Box;
        const x1 = a.x + a.width / 2 + shift;
        const x2 = b.x + b.width / 2 + shift;
        paths.push(edgeLine(edge, `M ${x1} ${top} C ${x1} ${top - 22 + shift}, ${x2} ${top - 22 + shift}, ${x2} ${top}`));
      }
      continue;
    }
    if (edge.from === TOPOLOGY_BOXES.offcluster && edge.to === TOPOLOGY_BOXES.nodes && offclusterBox) {
      const y = offclusterBox.y + boxHeight(offclusterBox) / 2 + shift;
      for (const node of nodeBoxes) paths.push(edgeLine(edge, `M ${offclusterBox.x + offclusterBox.width} ${y} L ${node.x} ${node.y + 30 + shift}`));
      continue;
    }
    const target = byId.get(edge.to);
    if (!target) continue;
    const tx = target.x + target.width / 2 + shift;
    const sources = edge.from === TOPOLOGY_BOXES.offcluster && offclusterBox ? [offclusterBox] : nodeBoxes;
    for (const source of sources) {
      const sx = source.x + source.width / 2 + shift;
      const sy = source.y + boxHeight(source);
      paths.push(edgeLine(edge, `M ${sx} ${sy} C ${sx} ${sy + EDGE_BAND / 2}, ${tx} ${target.y - EDGE_BAND / 2}, ${tx} ${target.y}`));
    }
  }

  const legendY = rowTop + 10;
  const legend = [
    ...(['passed', 'failed', 'skipped', 'not-run'] as const).map(
      (verdict, index) =>
        `<g><line x1="${MARGIN + index * 120}" y1="${legendY}" x2="${MARGIN + index * 120 + 30}" y2="${legendY}" stroke="${VERDICT_COLOURS[verdict]}" stroke-width="3"/><text x="${MARGIN + index * 120 + 36}" y="${legendY + 4}">${verdict}</text></g>`,
    ),
    `<text x="${MARGIN + 480}" y="${legendY + 4}">solid: IPv4 \u00b7 dashed: IPv6 \u00b7 hover a line for its checks</text>`,
  ];
  const width = Math.max(MARGIN * 2 + 900, ...[...nodeBoxes, ...serviceBoxes].map((box) => box.x + box.width + MARGIN));
  const height = legendY + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="dsc-topology" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    '<title>Nodes, the suite\u2019s pods and Services, and the probed paths per family</title>',
    ...paths,
    ...nodeBoxes.map((box) => drawBox(box, 'node')),
    ...serviceBoxes.map((box) => drawBox(box, 'service')),
    ...(offclusterBox ? [drawBox(offclusterBox, 'offcluster')] : []),
    ...legend,
    '</svg>',
  ].join('\n');
}
