// The live view's page: plain browser JavaScript, no framework, no build step.
// State arrives over Server-Sent Events (/ui/events): a snapshot, then each transition.
// Charts come laid out from /ui/chart/<machine> and are drawn here as SVG.

const MAX_TIMELINE_ROWS = 200;
const SVG = 'http://www.w3.org/2000/svg';
const SUPERVISOR = '@supervisor';

const view = {
  supervisor: null,
  servers: [],
  /** instance id → row */
  rows: new Map(),
  selected: SUPERVISOR,
  /** the timeline's transitions, newest first (bounded) */
  timeline: [],
  /** every transition seen since the page opened, newest first (bounded): the supervisor's timeline */
  recent: [],
  charts: new Map(),
  historyToken: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role' || key === 'tabindex' || key === 'title') node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  for (const child of children) if (child) node.append(child);
  return node;
}

const pill = (state) => el('span', { class: 'pill', 'data-state': state }, state);

function formatUptime(startedAt) {
  if (!startedAt) return '–';
  let s = Math.max(0, Math.floor((Date.now() - startedAt) / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

function formatTime(at) {
  const d = new Date(at);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Ids of the active state nodes of `value` under the machine id, outermost first. */
function activeIds(prefix, value) {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [`${prefix}.${key}`, ...activeIds(`${prefix}.${key}`, inner)]);
}

// ---- supervision tree ------------------------------------------------------------

function instanceNode(row) {
  const node = el('div', { class: 'inst', role: 'option', tabindex: 0, 'data-instance': row.instance, 'data-state': row.state });
  fillInstance(node, row);
  return node;
}

function fillInstance(node, row) {
  node.dataset.state = row.state;
  node.setAttribute('aria-selected', String(view.selected === row.instance));
  node.replaceChildren(
    el('span', {}, pill(row.state)),
    el('span', { class: 'name', title: row.error ?? row.instance }, row.instance),
    el('span', { class: 'num pid' }, row.pid === null ? '–' : String(row.pid)),
    el('span', { class: 'num restarts' }, String(row.restarts)),
    el('span', { class: 'num uptime', 'data-started': row.startedAt ?? '' }, formatUptime(row.startedAt)),
    el('span', { class: 'num tools' }, String(row.tools)),
  );
}

function renderTree() {
  const tree = $('tree');
  const root = el(
    'div',
    { class: 'node-root', role: 'option', tabindex: 0, 'data-instance': SUPERVISOR, 'aria-selected': String(view.selected === SUPERVISOR) },
    pill(stateName(view.supervisor)),
    el('span', {}, 'supervisor'),
  );
  const groups = view.servers.map((server) => {
    const rows = [...view.rows.values()].filter((r) => r.server === server.name);
    const head = el(
      'div',
      { class: 'server-head', 'data-server': server.name },
      el('strong', {}, server.name),
      el('span', {}, `${server.transport}${server.replicas > 1 ? ` · ${server.replicas} replicas` : ''}${server.enabled ? '' : ' · disabled'}`),
    );
    const body = rows.length > 0 ? rows.map(instanceNode) : [el('div', { class: 'empty' }, 'no instance')];
    return el('div', { class: 'server', 'data-server': server.name }, head, ...body);
  });
  const configured = new Set(view.servers.map((s) => s.name));
  const others = [...view.rows.values()].filter((r) => !configured.has(r.server));
  if (others.length > 0) groups.push(el('div', { class: 'server' }, el('div', { class: 'server-head' }, el('strong', {}, 'retiring')), ...others.map(instanceNode)));
  tree.replaceChildren(root, ...groups);
  updateSummary();
}

function stateName(value) {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return Object.keys(value)[0] ?? '?';
  return '?';
}

function updateSummary() {
  const counts = new Map();
  for (const row of view.rows.values()) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const parts = [`${view.servers.length} servers`, `${view.rows.size} instances`];
  for (const state of ['healthy', 'degraded', 'unhealthy', 'critical', 'starting', 'restarting', 'stopping', 'stopped', 'failed']) {
    if (counts.has(state)) parts.push(`${counts.get(state)} ${state}`);
  }
  $('summary').textContent = parts.join(' · ');
}

/** One instance changed: touch only its row (a new or gone instance redraws the tree). */
function updateRow(instance, row) {
  const node = document.querySelector(`.inst[data-instance="${CSS.escape(instance)}"]`);
  if (row === null) {
    view.rows.delete(instance);
    renderTree();
    return;
  }
  view.rows.set(instance, row);
  if (node) {
    fillInstance(node, row);
    updateSummary();
  } else renderTree();
}

// ---- selection and details -------------------------------------------------------

function select(instance) {
  view.selected = instance;
  for (const node of document.querySelectorAll('[data-instance]')) node.setAttribute('aria-selected', String(node.dataset.instance === instance));
  renderDetail();
  void loadTimeline();
}

function renderDetail() {
  const instance = view.selected;
  const actions = $('actions');
  if (instance === SUPERVISOR) {
    $('detail-title').replaceChildren('supervisor ', pill(stateName(view.supervisor)));
    $('detail-meta').replaceChildren(el('span', {}, 'the root of the tree: one actor per server instance, one_for_one'));
    actions.hidden = true;
    void drawChart('supervisor', view.supervisor);
    return;
  }
  const row = view.rows.get(instance);
  if (!row) {
    $('detail-title').replaceChildren(instance, ' ', pill('removed'));
    $('detail-meta').replaceChildren();
    actions.hidden = true;
    void drawChart('server', 'removed');
    return;
  }
  $('detail-title').replaceChildren(`${row.instance} `, pill(row.state));
  const meta = [
    el('span', {}, 'server ', el('b', {}, row.server)),
    el('span', {}, 'pid ', el('b', {}, row.pid === null ? '–' : String(row.pid))),
    el('span', {}, 'restarts ', el('b', {}, String(row.restarts))),
    el('span', {}, 'uptime ', el('b', { class: 'uptime', 'data-started': row.startedAt ?? '' }, formatUptime(row.startedAt))),
    el('span', {}, 'tools ', el('b', {}, String(row.tools))),
  ];
  if (row.error) meta.push(el('span', { class: 'error' }, `last failure: ${row.error}`));
  $('detail-meta').replaceChildren(...meta);
  actions.hidden = false;
  actions.dataset.server = row.server;
  void drawChart('server', row.value);
}

// ---- charts ----------------------------------------------------------------------

function chartLayout(machine) {
  let pending = view.charts.get(machine);
  if (!pending) {
    pending = fetch(`/ui/chart/${machine}`, { headers: { accept: 'application/json' } }).then((res) => {
      if (!res.ok) throw new Error(`chart ${machine}: HTTP ${res.status}`);
      return res.json();
    });
    pending.catch(() => view.charts.delete(machine));
    view.charts.set(machine, pending);
  }
  return pending;
}

let drawn = { machine: null, svg: null };
let drawRequest = 0;

async function drawChart(machine, value) {
  const request = ++drawRequest;
  let layout;
  try {
    layout = await chartLayout(machine);
  } catch (error) {
    if (request === drawRequest) $('chart').replaceChildren(el('div', { class: 'empty' }, String(error)));
    return;
  }
  // a later selection has asked for another chart meanwhile
  if (request !== drawRequest) return;
  $('chart-title').textContent = `${machine} machine · drawn from its definition`;
  if (drawn.machine !== machine) {
    drawn = { machine, svg: chartSvg(layout) };
    $('chart').replaceChildren(drawn.svg);
    $('anywhere').textContent = layout.anywhere.length > 0 ? `in any state: ${layout.anywhere.join(' · ')}` : '';
    fit();
  }
  highlight(layout.id, value);
  scrollToActive();
}

/** At full size the chart scrolls: keep the current state in view. */
function scrollToActive() {
  const box = $('chart');
  const nodes = [...drawn.svg.querySelectorAll('.state.active:not(.compound)')];
  const target = nodes[nodes.length - 1];
  if (!target) return;
  const rect = target.querySelector('rect');
  const scale = drawn.svg.getBoundingClientRect().width / Number(drawn.svg.dataset.width);
  const x = (Number(rect.getAttribute('x')) + Number(rect.getAttribute('width')) / 2) * scale;
  const y = (Number(rect.getAttribute('y')) + Number(rect.getAttribute('height')) / 2) * scale;
  box.scrollTo({ left: Math.max(0, x - box.clientWidth / 2), top: Math.max(0, y - box.clientHeight / 2), behavior: 'smooth' });
}

function highlight(machineId, value) {
  if (!drawn.svg) return;
  const active = new Set(activeIds(machineId, value));
  for (const node of drawn.svg.querySelectorAll('.state')) node.classList.toggle('active', active.has(node.dataset.id));
  drawn.svg.dataset.active = [...active].join(' ');
}

function chartSvg(layout) {
  const root = svg('svg', { viewBox: `0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`, 'data-machine': layout.id, role: 'img' });
  root.dataset.width = String(Math.ceil(layout.width));
  root.append(
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }))),
  );
  const states = [...layout.states].sort((a, b) => a.depth - b.depth);
  for (const s of states) {
    const group = svg('g', { class: `state${s.compound ? ' compound' : ''}${s.type === 'final' ? ' final' : ''}`, 'data-id': s.id });
    group.append(svg('rect', { x: s.x, y: s.y, width: s.width, height: s.height, rx: 8 }));
    const name = svg('text', { x: s.x + 10, y: s.y + 18, class: 'name' });
    name.textContent = s.key;
    group.append(name);
    const tagsHeight = s.tags.length > 0 ? 13 : 0;
    if (s.tags.length > 0) {
      const tags = svg('text', { x: s.x + 10, y: s.y + 31, class: 'tags' });
      tags.textContent = s.tags.join(' · ');
      group.append(tags);
    }
    s.notes.forEach((note, i) => {
      const line = svg('text', { x: s.x + 10, y: s.y + 36 + tagsHeight + i * 14, class: 'note' });
      line.textContent = note;
      group.append(line);
    });
    if (s.initial) group.append(svg('circle', { cx: s.x + 1, cy: s.y + 1, r: 4.5, class: 'initial-dot' }));
    const title = svg('title');
    title.textContent = `${s.id}${s.initial ? ' (initial)' : ''}${s.tags.length ? ` · tags: ${s.tags.join(', ')}` : ''}`;
    group.append(title);
    root.append(group);
  }
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    const kind = e.kinds.every((k) => k === 'after') ? 'after' : e.kinds.every((k) => k === 'always') ? 'always' : '';
    const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    root.append(svg('path', { d, class: `edge ${kind}`, 'marker-end': 'url(#arrow)', 'data-source': e.source, 'data-target': e.target }));
    if (e.label) {
      const label = svg('g', { class: `edge-label ${kind}` });
      label.append(svg('rect', { x: e.label.x - 2, y: e.label.y, width: e.label.width, height: e.label.height, rx: 3 }));
      e.lines.forEach((line, i) => {
        const text = svg('text', { x: e.label.x + 1, y: e.label.y + 11 + i * 14 });
        text.textContent = line;
        label.append(text);
      });
      root.append(label);
    }
  }
  return root;
}

function fit() {
  if (!drawn.svg) return;
  const width = Number(drawn.svg.dataset.width);
  const zoom = $('zoom').value;
  drawn.svg.style.height = 'auto';
  if (zoom === 'fit') {
    drawn.svg.style.width = '100%';
    drawn.svg.style.maxWidth = `${width}px`;
  } else {
    drawn.svg.style.width = `${Math.round(width * Number(zoom))}px`;
    drawn.svg.style.maxWidth = 'none';
  }
  scrollToActive();
}

// ---- timeline --------------------------------------------------------------------

function timelineRow(t, fresh) {
  return el(
    'tr',
    { class: fresh ? 'fresh' : '', 'data-seq': t.seq, 'data-to': t.to, 'data-event': t.event },
    el('td', { class: 'time', title: new Date(t.at).toISOString() }, formatTime(t.at)),
    el('td', { class: 'inst-name' }, t.instance),
    el('td', { class: 'event' }, t.event),
    el('td', {}, t.from === null ? '' : pill(t.from), t.from === null ? '' : ' → ', pill(t.to)),
    el('td', { class: 'reason' }, t.reason ?? ''),
  );
}

function renderTimeline() {
  const rows = view.timeline.slice(0, MAX_TIMELINE_ROWS).map((t) => timelineRow(t, false));
  $('timeline').replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { class: 'empty', colSpan: 5 }, 'no transitions yet'))]));
}

async function loadTimeline() {
  const instance = view.selected;
  const token = ++view.historyToken;
  if (instance === SUPERVISOR) {
    view.timeline = [...view.recent];
    renderTimeline();
    return;
  }
  view.timeline = view.recent.filter((t) => t.instance === instance);
  renderTimeline();
  try {
    const res = await fetch(`/ui/history?instance=${encodeURIComponent(instance)}`, { headers: { accept: 'application/json' } });
    if (!res.ok || token !== view.historyToken) return;
    const { transitions } = await res.json();
    if (token !== view.historyToken) return;
    const bySeq = new Map([...transitions, ...view.timeline].map((t) => [t.seq, t]));
    view.timeline = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, MAX_TIMELINE_ROWS);
    renderTimeline();
  } catch {
    // the live stream keeps the timeline going; the history comes with the next selection
  }
}

function addTransition(t) {
  view.recent.unshift(t);
  if (view.recent.length > MAX_TIMELINE_ROWS) view.recent.length = MAX_TIMELINE_ROWS;
  if (view.selected !== SUPERVISOR && view.selected !== t.instance) return;
  view.timeline.unshift(t);
  if (view.timeline.length > MAX_TIMELINE_ROWS) view.timeline.length = MAX_TIMELINE_ROWS;
  const body = $('timeline');
  if (body.querySelector('.empty')) body.replaceChildren();
  body.prepend(timelineRow(t, true));
  while (body.rows.length > MAX_TIMELINE_ROWS) body.lastElementChild.remove();
}

// ---- live stream -----------------------------------------------------------------

function connect() {
  const source = new EventSource('/ui/events');
  const connection = $('connection');
  source.addEventListener('open', () => {
    connection.dataset.state = 'live';
    connection.textContent = 'live';
  });
  source.addEventListener('error', () => {
    connection.dataset.state = 'reconnecting';
    connection.textContent = 'reconnecting…';
  });
  source.addEventListener('snapshot', (message) => {
    const snapshot = JSON.parse(message.data);
    view.supervisor = snapshot.supervisor;
    view.servers = snapshot.servers.map(({ instances: _instances, ...server }) => server);
    view.rows = new Map([...snapshot.servers.flatMap((s) => s.instances), ...snapshot.others].map((row) => [row.instance, row]));
    renderTree();
    renderDetail();
    void loadTimeline();
  });
  source.addEventListener('transition', (message) => {
    const { t, row, supervisor } = JSON.parse(message.data);
    const supervisorChanged = JSON.stringify(supervisor) !== JSON.stringify(view.supervisor);
    view.supervisor = supervisor;
    updateRow(t.instance, t.to === 'removed' ? null : row);
    addTransition(t);
    if (view.selected === t.instance || (view.selected === SUPERVISOR && supervisorChanged)) renderDetail();
    if (supervisorChanged) renderTree();
  });
}

// ---- actions ---------------------------------------------------------------------

async function act(action) {
  const server = $('actions').dataset.server;
  if (!server) return;
  const buttons = [...$('actions').querySelectorAll('button')];
  const result = $('action-result');
  for (const b of buttons) b.disabled = true;
  result.dataset.kind = '';
  result.textContent = `${action} ${server}…`;
  try {
    const res = await fetch(`/ui/api/servers/${encodeURIComponent(server)}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mcp-manager-ui': '1', accept: 'application/json' },
      body: '{}',
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    result.textContent = `${action} ${server}: done`;
  } catch (error) {
    result.dataset.kind = 'error';
    result.textContent = `${action} ${server} failed: ${error.message}`;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---- wiring ----------------------------------------------------------------------

$('tree').addEventListener('click', (event) => {
  const target = event.target.closest('[data-instance]');
  if (target) select(target.dataset.instance);
});
$('tree').addEventListener('keydown', (event) => {
  const target = event.target.closest('[data-instance]');
  if (target && (event.key === 'Enter' || event.key === ' ')) {
    event.preventDefault();
    select(target.dataset.instance);
  }
});
$('actions').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (button) void act(button.dataset.action);
});
$('zoom').addEventListener('change', fit);
// uptimes count on the page; nothing is fetched for them
setInterval(() => {
  for (const node of document.querySelectorAll('.uptime[data-started]')) {
    const started = Number(node.dataset.started);
    if (started) node.textContent = formatUptime(started);
  }
}, 1000);

connect();
renderDetail();
