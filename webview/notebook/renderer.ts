/**
 * The notebook renderer for Flowlens results: a sortable table with the row cap and total count, readable
 * bytes/ARNs/tags, and a d3 line or bar chart when the result is a time series or a ranking.
 * Runs in the notebook's output webview; never imports 'vscode'. Colours come from --vscode-* variables.
 */
import { select, scaleBand, scaleLinear, scaleUtc, scaleOrdinal, axisBottom, axisLeft, line as d3line, extent, max } from 'd3';
import { chooseChart, formatBytes, formatCell, formatNumber, roles, sortRows, type ChartSpec, type ResultPayload } from '../../src/shared/resultShape';

interface OutputItem {
  json(): unknown;
  mime: string;
}
interface RendererContext {
  getState?(): unknown;
  setState?(s: unknown): void;
}

const STYLE = `
.flowlens-result { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); }
.flowlens-result .meta { margin: 4px 0; color: var(--vscode-descriptionForeground); }
.flowlens-result .scroll { max-height: 420px; overflow: auto; border: 1px solid var(--vscode-panel-border, transparent); }
.flowlens-result table { border-collapse: collapse; width: max-content; min-width: 100%; }
.flowlens-result th { position: sticky; top: 0; background: var(--vscode-editor-background); cursor: pointer; text-align: left;
  border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-foreground)); padding: 2px 8px; user-select: none; }
.flowlens-result th .type { color: var(--vscode-descriptionForeground); font-weight: normal; font-size: 0.85em; margin-left: 4px; }
.flowlens-result td { padding: 2px 8px; border-bottom: 1px solid var(--vscode-editorGroup-border, transparent); white-space: nowrap; text-align: left; }
.flowlens-result td.num, .flowlens-result th.num { text-align: right; font-variant-numeric: tabular-nums; }
.flowlens-result td.null { color: var(--vscode-disabledForeground); }
.flowlens-result tr:hover td { background: var(--vscode-list-hoverBackground); }
.flowlens-result svg text { fill: var(--vscode-foreground); font-size: 11px; }
.flowlens-result svg .domain, .flowlens-result svg .tick line { stroke: var(--vscode-descriptionForeground); }
.flowlens-result svg rect.bar { fill: var(--vscode-charts-blue, var(--vscode-textLink-foreground)); }
`;

const SERIES = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple'];

function render(payload: ResultPayload, element: HTMLElement): void {
  element.replaceChildren();
  const root = document.createElement('div');
  root.className = 'flowlens-result';
  const style = document.createElement('style');
  style.textContent = STYLE;
  root.appendChild(style);
  element.appendChild(root);

  const r = roles(payload);
  const meta = document.createElement('div');
  meta.className = 'meta';
  const shown = payload.rows.length;
  meta.textContent =
    payload.total > shown
      ? `${formatNumber(shown)} of ${formatNumber(payload.total)} rows (row cap ${formatNumber(payload.rowCap)}, setting flowlens.rowCap) · ${payload.ms} ms`
      : `${formatNumber(payload.total)} row${payload.total === 1 ? '' : 's'} · ${payload.ms} ms`;
  meta.dataset.total = String(payload.total);
  root.appendChild(meta);

  const chart = chooseChart(payload);
  if (chart) drawChart(root, chart, payload);

  const scroll = document.createElement('div');
  scroll.className = 'scroll';
  const table = document.createElement('table');
  const thead = table.createTHead();
  const head = thead.insertRow();
  const tbody = table.createTBody();
  let sort: { col: number; dir: 'asc' | 'desc' } | undefined;
  const fill = () => {
    tbody.replaceChildren();
    const rows = sort ? sortRows(payload.rows, sort.col, sort.dir) : payload.rows;
    for (const row of rows) {
      const tr = tbody.insertRow();
      row.forEach((v, i) => {
        const td = tr.insertCell();
        td.textContent = formatCell(v, r[i]);
        if (r[i] === 'bytes' || r[i] === 'number') td.className = 'num';
        if (v === null) td.className += ' null';
        if (r[i] === 'bytes' && v !== null) td.title = `${formatNumber(v as number | string)} bytes`;
        else if (typeof v === 'string' && (r[i] === 'arn' || v.length > 40)) td.title = v;
        td.dataset.raw = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      });
    }
  };
  payload.columns.forEach((c, i) => {
    const th = document.createElement('th');
    th.textContent = c.name;
    const t = document.createElement('span');
    t.className = 'type';
    t.textContent = c.type;
    th.appendChild(t);
    th.title = `Sort by ${c.name}`;
    if (r[i] === 'bytes' || r[i] === 'number') th.className = 'num';
    th.addEventListener('click', () => {
      sort = sort?.col === i ? { col: i, dir: sort.dir === 'asc' ? 'desc' : 'asc' } : { col: i, dir: r[i] === 'bytes' || r[i] === 'number' ? 'desc' : 'asc' };
      for (const other of head.querySelectorAll('th')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', sort.dir === 'asc' ? 'ascending' : 'descending');
      fill();
    });
    head.appendChild(th);
  });
  fill();
  scroll.appendChild(table);
  root.appendChild(scroll);
}

function drawChart(root: HTMLElement, spec: ChartSpec, payload: ResultPayload): void {
  const width = Math.max(320, Math.min(900, root.clientWidth || 720));
  const height = spec.kind === 'bar' ? Math.max(80, spec.points.length * 18 + 30) : 200;
  const margin = { top: 8, right: 16, bottom: 24, left: spec.kind === 'bar' ? 220 : 64 };
  const fmt = (v: number) => (spec.bytes ? formatBytes(v) : formatNumber(v));
  const svg = select(root)
    .append('svg')
    .attr('class', `chart ${spec.kind}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', `${spec.kind} chart of ${spec.y.map((i) => payload.columns[i].name).join(', ')}`);
  const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  if (spec.kind === 'bar') {
    const y = scaleBand<string>()
      .domain(spec.points.map((p, i) => `${i}`))
      .range([0, h])
      .padding(0.15);
    const x = scaleLinear()
      .domain([0, max(spec.points, (p) => p.y[0]) ?? 1])
      .nice()
      .range([0, w]);
    g.selectAll('rect.bar')
      .data(spec.points)
      .join('rect')
      .attr('class', 'bar')
      .attr('y', (_, i) => y(`${i}`) ?? 0)
      .attr('height', y.bandwidth())
      .attr('width', (p) => x(p.y[0]))
      .append('title')
      .text((p) => `${p.x}: ${fmt(p.y[0])}`);
    g.append('g')
      .call(axisLeft(y).tickFormat((i) => {
        const label = String(spec.points[Number(i)].x);
        return label.length > 34 ? label.slice(0, 33) + '…' : label;
      }));
    g.append('g').attr('transform', `translate(0,${h})`).call(axisBottom(x).ticks(5).tickFormat((v) => fmt(Number(v))));
    return;
  }
  const x = scaleUtc()
    .domain(extent(spec.points, (p) => p.x as number) as [number, number])
    .range([0, w]);
  const y = scaleLinear()
    .domain([0, max(spec.points, (p) => Math.max(...p.y)) ?? 1])
    .nice()
    .range([h, 0]);
  const colour = scaleOrdinal<number, string>().domain(spec.y).range(SERIES.map((v) => `var(${v})`));
  spec.y.forEach((col, k) => {
    const path = d3line<{ x: number | string; y: number[] }>()
      .x((p) => x(p.x as number))
      .y((p) => y(p.y[k]));
    g.append('path')
      .datum(spec.points)
      .attr('fill', 'none')
      .attr('stroke', colour(col))
      .attr('stroke-width', 1.5)
      .attr('d', path)
      .append('title')
      .text(payload.columns[col].name);
  });
  g.append('g').attr('transform', `translate(0,${h})`).call(axisBottom(x).ticks(6));
  g.append('g').call(axisLeft(y).ticks(5).tickFormat((v) => fmt(Number(v))));
  const legend = select(root).append('div').attr('class', 'meta');
  spec.y.forEach((col) => {
    legend.append('span').style('color', colour(col)).text('■ ');
    legend.append('span').text(`${payload.columns[col].name}  `);
  });
}

export function activate(_ctx: RendererContext) {
  return {
    renderOutputItem(item: OutputItem, element: HTMLElement) {
      try {
        render(item.json() as ResultPayload, element);
      } catch (err) {
        element.textContent = `Flowlens could not render this result: ${err instanceof Error ? err.message : String(err)}`;
      }
    },
    disposeOutputItem() {},
  };
}
