/**
 * The notebook renderer for Flowlens results: a table (widths capped with an ellipsis and a tooltip, columns
 * resizable, sortable by mouse or keyboard with the direction shown) with the row cap and total count, numbers
 * in the unit their column's name declares, readable ARNs/tags, and a d3 line or bar chart (1-2-5 ticks that
 * never overlap; a ranking of many rows as its top rows plus 'other') when the result is a series or a ranking.
 * Runs in the notebook's output webview; never imports 'vscode'. Colours come from --vscode-* variables.
 */
import { select, scaleBand, scaleLinear, scaleUtc, scaleOrdinal, axisBottom, axisLeft, line as d3line, extent } from 'd3';
import { chooseChart, formatCell, formatNumber, isNumericRole, roles, sortRows, type ChartSpec, type ResultPayload } from '../../src/shared/resultShape';
import { formatInUnit, niceAxis, type Axis, type Unit } from '../../src/shared/numbers';

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
  border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-foreground)); padding: 2px 5px; user-select: none; white-space: nowrap; }
.flowlens-result th:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
.flowlens-result th .line { display: flex; align-items: baseline; gap: 4px; }
.flowlens-result th.num .line { justify-content: flex-end; }
.flowlens-result th .name { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.flowlens-result th .type { display: block; overflow: hidden; text-overflow: ellipsis; color: var(--vscode-descriptionForeground); font-weight: normal; font-size: 0.85em; }
.flowlens-result th .sort { min-width: 0.8em; color: var(--vscode-textLink-foreground); }
.flowlens-result th .resize { position: absolute; top: 0; right: -3px; width: 7px; height: 100%; cursor: col-resize; z-index: 1; }
.flowlens-result th .resize:hover, .flowlens-result th .resize.active { background: var(--vscode-focusBorder); opacity: 0.6; }
.flowlens-result td { padding: 2px 5px; border-bottom: 1px solid var(--vscode-editorGroup-border, transparent); white-space: nowrap; text-align: left; }
.flowlens-result .cell { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.flowlens-result .cell.text { max-width: 8em; }
.flowlens-result .cell.num { max-width: 12em; }
.flowlens-result td.num, .flowlens-result th.num { text-align: right; font-variant-numeric: tabular-nums; }
.flowlens-result td.null { color: var(--vscode-disabledForeground); }
.flowlens-result tr:hover td { background: var(--vscode-list-hoverBackground); }
.flowlens-result svg text { fill: var(--vscode-foreground); font-size: 11px; }
.flowlens-result svg .domain, .flowlens-result svg .tick line { stroke: var(--vscode-descriptionForeground); }
.flowlens-result svg rect.bar { fill: var(--vscode-charts-blue, var(--vscode-textLink-foreground)); }
.flowlens-result svg rect.bar.other { fill: var(--vscode-descriptionForeground); }
.flowlens-result svg text.value { fill: var(--vscode-descriptionForeground); }
`;

const SERIES = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple'];
/** Rough width of a character of the 11 px chart font, for fitting labels without measuring. */
const CHAR_PX = 6.4;
let outputs = 0;

function render(payload: ResultPayload, element: HTMLElement): void {
  element.replaceChildren();
  const root = document.createElement('div');
  root.className = 'flowlens-result';
  root.id = `flowlens-result-${++outputs}`;
  const style = document.createElement('style');
  style.textContent = STYLE;
  root.appendChild(style);
  // Column widths the user chose by dragging a header's edge (or Alt+←/→ on a header).
  const widths = document.createElement('style');
  root.appendChild(widths);
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
  const numeric = r.map(isNumericRole);
  const chosen = new Map<number, number>();
  const setWidth = (col: number, px: number | undefined) => {
    if (px === undefined) chosen.delete(col);
    else chosen.set(col, Math.max(32, Math.round(px)));
    widths.textContent = [...chosen]
      .map(([i, w]) => `#${root.id} .c${i} { width: ${w}px; max-width: ${w}px; }`)
      .join('\n');
  };
  let sort: { col: number; dir: 'asc' | 'desc' } | undefined;
  const fill = () => {
    tbody.replaceChildren();
    const rows = sort ? sortRows(payload.rows, sort.col, sort.dir) : payload.rows;
    for (const row of rows) {
      const tr = tbody.insertRow();
      row.forEach((v, i) => {
        const td = tr.insertCell();
        const cell = document.createElement('div');
        const text = formatCell(v, r[i]);
        cell.className = `cell c${i} ${numeric[i] ? 'num' : 'text'}`;
        cell.textContent = text;
        td.appendChild(cell);
        if (numeric[i]) td.className = 'num';
        if (v === null) td.className += ' null';
        // The exact value behind a rounded number; the whole text behind an ellipsis.
        if (numeric[i] && v !== null && r[i] !== 'number') td.title = `${formatNumber(v as number | string)}${r[i] === 'bytes' ? ' bytes' : ''}`;
        else if (text.length > 24 || (r[i] === 'arn' && typeof v === 'string')) td.title = typeof v === 'string' && r[i] === 'arn' ? `${text}\n${v}` : text;
        td.dataset.raw = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      });
    }
  };
  const sortBy = (i: number) => {
    sort = sort?.col === i ? { col: i, dir: sort.dir === 'asc' ? 'desc' : 'asc' } : { col: i, dir: numeric[i] ? 'desc' : 'asc' };
    head.querySelectorAll('th').forEach((th, k) => {
      const arrow = th.querySelector('.sort') as HTMLElement;
      if (k === sort?.col) {
        th.setAttribute('aria-sort', sort.dir === 'asc' ? 'ascending' : 'descending');
        arrow.textContent = sort.dir === 'asc' ? '▲' : '▼';
      } else {
        th.removeAttribute('aria-sort');
        arrow.textContent = '';
      }
    });
    fill();
  };
  payload.columns.forEach((c, i) => {
    const th = document.createElement('th');
    const box = document.createElement('div');
    box.className = `head cell c${i} ${numeric[i] ? 'num' : 'text'}`;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.name;
    const t = document.createElement('span');
    t.className = 'type';
    t.textContent = c.type;
    const arrow = document.createElement('span');
    arrow.className = 'sort';
    arrow.setAttribute('aria-hidden', 'true');
    // The type goes under the name, so a header is as wide as the longer of them, not both.
    const line = document.createElement('div');
    line.className = 'line';
    line.append(name, arrow);
    box.append(line, t);
    th.appendChild(box);
    th.tabIndex = 0;
    th.scope = 'col';
    th.title = `${c.name} (${c.type}): click or Enter to sort; drag the edge or Alt+←/→ to resize`;
    if (numeric[i]) th.className = 'num';
    th.addEventListener('click', () => sortBy(i));
    th.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && !e.altKey) {
        e.preventDefault();
        sortBy(i);
      } else if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
        e.preventDefault();
        setWidth(i, box.getBoundingClientRect().width + (e.key === 'ArrowRight' ? 24 : -24));
      } else if (!e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
        // Move along the headers, so every column is reachable without the mouse.
        const next = (e.key === 'ArrowRight' ? th.nextElementSibling : th.previousElementSibling) as HTMLElement | null;
        if (next) {
          e.preventDefault();
          next.focus();
          next.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        }
      }
    });
    const grip = document.createElement('span');
    grip.className = 'resize';
    grip.title = 'Drag to resize; double-click to fit';
    grip.addEventListener('click', (e) => e.stopPropagation());
    grip.addEventListener('dblclick', (e) => {
      e.stopPropagation();
      setWidth(i, undefined);
    });
    grip.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      const startX = e.clientX;
      const startW = box.getBoundingClientRect().width;
      grip.setPointerCapture(e.pointerId);
      grip.classList.add('active');
      const move = (m: PointerEvent) => setWidth(i, startW + m.clientX - startX);
      const up = () => {
        grip.classList.remove('active');
        grip.removeEventListener('pointermove', move);
        grip.removeEventListener('pointerup', up);
      };
      grip.addEventListener('pointermove', move);
      grip.addEventListener('pointerup', up);
    });
    th.appendChild(grip);
    head.appendChild(th);
  });
  fill();
  scroll.appendChild(table);
  root.appendChild(scroll);
}

/**
 * An axis whose labels do not overlap in `length` pixels: 1-2-5 ticks, as many as fit. Horizontal labels
 * need their text's width; vertical ones a line's height.
 */
function fittedAxis(lo: number, hi: number, unit: Unit, length: number, horizontal: boolean): Axis {
  for (let n = Math.max(1, Math.min(8, Math.floor(length / (horizontal ? 48 : 28)))); ; n--) {
    const axis = niceAxis(lo, hi, unit, n);
    const room = length / Math.max(1, axis.ticks.length - 1);
    const need = horizontal ? Math.max(...axis.ticks.map((t) => axis.label(t).length)) * CHAR_PX + 10 : 16;
    if (room >= need || n === 1) return axis;
  }
}

function clip(text: string, px: number): string {
  const chars = Math.max(3, Math.floor(px / CHAR_PX));
  return text.length > chars ? text.slice(0, chars - 1) + '…' : text;
}

function drawChart(root: HTMLElement, spec: ChartSpec, payload: ResultPayload): void {
  const width = Math.max(240, Math.min(900, root.clientWidth || 720));
  const fmt = (v: number) => formatInUnit(v, spec.unit);
  const name = spec.y.map((i) => payload.columns[i].name).join(', ');
  const svg = select(root)
    .append('svg')
    .attr('class', `chart ${spec.kind}`)
    .attr('width', width)
    .attr('role', 'img')
    .attr(
      'aria-label',
      spec.kind === 'bar'
        ? `bar chart of ${name}${spec.other ? `: the top ${spec.points.length - 1} rows and the other ${spec.other}` : ''}`
        : `line chart of ${name}`,
    );
  if (spec.kind === 'bar') {
    const values = spec.points.map((p) => p.y[0]);
    const longest = Math.max(...spec.points.map((p) => String(p.x).length));
    const left = Math.min(Math.round(width * 0.4), Math.max(60, longest * CHAR_PX + 12));
    const valueLabels = spec.points.map((p) => fmt(p.y[0]));
    const right = Math.min(90, Math.max(...valueLabels.map((l) => l.length)) * CHAR_PX + 10);
    const margin = { top: 8, right, bottom: 24, left };
    const height = Math.max(80, spec.points.length * 18 + margin.top + margin.bottom);
    svg.attr('height', height);
    const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
    const w = width - margin.left - margin.right;
    const h = height - margin.top - margin.bottom;
    const axis = fittedAxis(Math.min(0, ...values), Math.max(0, ...values), spec.unit, w, true);
    const y = scaleBand<string>()
      .domain(spec.points.map((_, i) => `${i}`))
      .range([0, h])
      .padding(0.15);
    const x = scaleLinear().domain([axis.bottom, axis.top]).range([0, w]);
    const bars = g
      .selectAll('g.row')
      .data(spec.points)
      .join('g')
      .attr('class', 'row')
      .attr('transform', (_, i) => `translate(0,${y(`${i}`) ?? 0})`);
    bars
      .append('rect')
      .attr('class', (_, i) => (spec.other && i === spec.points.length - 1 ? 'bar other' : 'bar'))
      .attr('x', (p) => x(Math.min(0, p.y[0])))
      .attr('height', y.bandwidth())
      .attr('width', (p) => Math.abs(x(p.y[0]) - x(0)))
      .append('title')
      .text((p) => `${p.x}: ${fmt(p.y[0])}`);
    bars
      .append('text')
      .attr('class', 'value')
      .attr('x', (p) => x(Math.max(0, p.y[0])) + 4)
      .attr('y', y.bandwidth() / 2)
      .attr('dy', '0.35em')
      .text((_, i) => valueLabels[i]);
    g.append('g')
      .call(axisLeft(y).tickFormat((i) => clip(String(spec.points[Number(i)].x), margin.left - 10)))
      .selectAll('.tick')
      .append('title')
      .text((i) => String(spec.points[Number(i)].x));
    g.append('g')
      .attr('transform', `translate(0,${h})`)
      .call(axisBottom(x).tickValues(axis.ticks).tickFormat((v) => axis.label(Number(v))));
    return;
  }
  const height = 200;
  const top = Math.max(0, ...spec.points.flatMap((p) => p.y));
  const bottom = Math.min(0, ...spec.points.flatMap((p) => p.y));
  const margin = { top: 8, right: 16, bottom: 24, left: 0 };
  const axis = fittedAxis(bottom, top, spec.unit, height - margin.top - margin.bottom, false);
  margin.left = Math.max(40, Math.max(...axis.ticks.map((t) => axis.label(t).length)) * CHAR_PX + 12);
  svg.attr('height', height);
  const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  const x = scaleUtc()
    .domain(extent(spec.points, (p) => p.x as number) as [number, number])
    .range([0, w]);
  const y = scaleLinear().domain([axis.bottom, axis.top]).range([h, 0]);
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
  // Dates are about 10 characters: one tick per ~90 px keeps them apart in a narrow pane.
  g.append('g').attr('transform', `translate(0,${h})`).call(axisBottom(x).ticks(Math.max(2, Math.floor(w / 90))));
  g.append('g').call(axisLeft(y).tickValues(axis.ticks).tickFormat((v) => axis.label(Number(v))));
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
