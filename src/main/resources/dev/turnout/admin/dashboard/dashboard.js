// Turnout's dashboard: the admin API's status and history, kept live by GET /admin/events.
// Everything is built with textContent: pool names, errors and "by" come from the server and are never parsed as HTML.
'use strict';

const TOKEN_KEY = 'turnout.adminToken';
/** Five minutes of one stats event a second. */
const SERIES_LENGTH = 300;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  status: null,
  history: [],
  stats: {},
  series: {},
  drains: {},
  watch: null,
  pending: null,
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function byId(id) {
  return document.getElementById(id);
}

class Unauthorized extends Error {}

function headers(accept) {
  const h = { Accept: accept };
  if (state.token) h.Authorization = 'Bearer ' + state.token;
  return h;
}

async function api(method, path) {
  const response = await fetch(path, { method, headers: headers('application/json'), cache: 'no-store' });
  if (response.status === 401) {
    askForToken(state.token ? 'That token was refused.' : null);
    throw new Unauthorized();
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  return { status: response.status, body };
}

function askForToken(why) {
  const form = byId('token-form');
  form.hidden = false;
  if (why) showMessage(why, true);
  byId('token-input').focus();
}

/** Numbers the refreshes: an answer older than one already shown is dropped. */
let refreshes = 0;
let shown = 0;

async function refresh() {
  const mine = ++refreshes;
  const [status, history] = await Promise.all([api('GET', '/admin/status'), api('GET', '/admin/history')]);
  if (mine < shown) return;
  shown = mine;
  if (status.status === 200) state.status = status.body;
  if (history.status === 200) state.history = history.body;
  render();
  renderHistory();
}

// ---- the event stream --------------------------------------------------------

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** No byte for this long (the server sends stats every second): the connection is gone, open another. */
const QUIET_MS = 10000;
/** The loop reading the events; a new follow() ends the one before (a token entered again, say). */
let following = null;

function follow() {
  if (following) following.abort();
  following = new AbortController();
  readEvents(following.signal);
}

async function readEvents(signal) {
  while (!signal.aborted) {
    const stream = new AbortController();
    const stop = () => stream.abort();
    signal.addEventListener('abort', stop, { once: true });
    let quiet = null;
    const heard = () => {
      clearTimeout(quiet);
      quiet = setTimeout(stop, QUIET_MS);
    };
    try {
      heard();
      const response = await fetch('/admin/events', { headers: headers('text/event-stream'), cache: 'no-store', signal: stream.signal });
      if (response.status === 401) {
        askForToken(state.token ? 'That token was refused.' : null);
        return;
      }
      if (!response.ok) throw new Error('events answered ' + response.status);
      setLive(true);
      // Subscribed first, then read: nothing that happens in between is missed.
      await refresh();
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        heard();
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (e instanceof Unauthorized) return;
    } finally {
      clearTimeout(quiet);
      signal.removeEventListener('abort', stop);
      // However the loop ended, the connection goes: it would hold one of the server's stream slots.
      stream.abort();
    }
    setLive(false);
    await sleep(2000);
  }
}

function dispatch(block) {
  let type = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const event = JSON.parse(data);
  switch (type) {
    case 'flip':
      state.drains[event.from] = { pool: event.from, state: 'draining', remaining: event.inFlightAtSwitch,
        inFlightAtSwitch: event.inFlightAtSwitch, done: false };
      refresh().catch(() => {});
      break;
    case 'drain':
      state.drains[event.pool] = event;
      render();
      break;
    case 'health':
      refresh().catch(() => {});
      break;
    case 'rollback-watch':
      state.watch = event;
      render();
      break;
    case 'refusal':
      showMessage(refusalText(event), true);
      break;
    case 'stats':
      onStats(event);
      break;
    default:
  }
}

function onStats(event) {
  if (state.status && !state.status.pools[event.pool]) {
    // A pool a reload added: the status has its backends.
    refresh().catch(() => {});
  }
  state.stats[event.pool] = event;
  const series = state.series[event.pool] || (state.series[event.pool] = []);
  series.push({ rps: event.rps, p99: event.p99Ms });
  if (series.length > SERIES_LENGTH) series.shift();
  const pool = state.status && state.status.pools[event.pool];
  if (pool) {
    // The stats carry the live part of the status: keep the page current between refreshes.
    pool.inFlight = event.inFlight;
    pool.healthy = event.healthy;
    for (const b of event.backends) {
      const known = pool.backends.find((x) => x.address === b.address);
      if (known) Object.assign(known, { healthy: b.healthy, inFlight: b.inFlight, draining: b.draining });
    }
  }
  render();
}

function setLive(on) {
  const live = byId('live');
  live.textContent = on ? 'live' : 'reconnecting';
  live.className = 'live ' + (on ? 'on' : 'off');
}

// ---- rendering ---------------------------------------------------------------

function render() {
  const status = state.status;
  if (!status) return;
  byId('active-pool').textContent = status.active;
  byId('generation').textContent = String(status.generation);
  const names = Object.keys(status.pools);
  const target = byId('target');
  const others = names.filter((n) => n !== status.active);
  byId('target-label').hidden = names.length <= 2;
  if ([...target.options].map((o) => o.value).join() !== others.join()) {
    target.replaceChildren(...others.map((n) => el('option', { value: n }, n)));
  }
  byId('rollback-button').disabled = !status.previous;
  byId('pools').replaceChildren(...names.map((name) => poolCard(name, status.pools[name], status)));
  for (const name of names) drawChart(name);
}

function renderHistory() {
  byId('history').replaceChildren(...state.history.map(historyItem));
}

/** The number with its unit, or a dash while there is none (no requests in the window yet). */
function fixed(value, digits, unit) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(digits) + (unit || '');
}

function poolCard(name, pool, status) {
  const stats = state.stats[name] || {};
  const active = name === status.active;
  const card = el('section', { class: 'pool' + (active ? ' active' : ''), 'data-testid': 'pool-' + name },
    el('h2', null, name, el('span', { class: 'badge state' }, active ? 'active' : pool.draining ? 'draining' : 'standby')),
    el('div', { class: 'numbers' },
      el('span', null, 'req/s ', el('b', null, fixed(stats.rps, 1))),
      el('span', null, 'errors ', el('b', null, fixed(stats.errorRate === undefined ? null : stats.errorRate * 100, 1, '%'))),
      el('span', null, 'p99 ', el('b', null, fixed(stats.p99Ms, 1, ' ms'))),
      el('span', null, 'in flight ', el('b', null, String(pool.inFlight))),
      el('span', null, 'healthy ', el('b', null, pool.healthy + '/' + pool.backends.length))));
  const rows = pool.backends.map((b) => el('tr', null,
    el('td', null, b.address),
    el('td', { class: b.healthy ? 'up' : 'down' }, b.healthy ? 'up' : 'down'),
    el('td', null, String(b.inFlight) + ' in flight'),
    el('td', null, b.healthy ? '' : (b.lastError || ''))));
  card.append(el('table', null, el('tbody', null, ...rows)));
  card.append(el('canvas', { id: 'chart-' + name, width: 600, height: 90 }));
  card.append(el('div', { class: 'legend' }, el('span', { class: 'rps' }, 'req/s'), ' and ', el('span', { class: 'p99' }, 'p99 ms'),
    ', last 5 minutes'));
  const drain = state.drains[name];
  if (drain && !active) {
    const text = drain.done
      ? (drain.state === 'drained' ? 'drained ' + drain.inFlightAtSwitch + ' request(s) in ' + drain.millis + ' ms' : 'drain ' + drain.state)
      : 'draining: ' + drain.remaining + ' of ' + drain.inFlightAtSwitch + ' still in flight';
    card.append(el('div', { class: 'drain', 'data-testid': 'drain-' + name }, text,
      drain.done ? null : el('progress', { max: Math.max(1, drain.inFlightAtSwitch),
        value: Math.max(0, drain.inFlightAtSwitch - drain.remaining) })));
  }
  const watch = state.watch;
  if (watch && watch.pool === name && active) {
    const text = watch.state === 'watching'
      ? 'rollback watch: ' + watch.requests + ' requests, ' + watch.errors + ' errors (trips above ' + fixed(watch.threshold * 100, 1)
        + '%), ' + Math.ceil(watch.remainingMillis / 1000) + ' s left'
      : 'rollback watch ' + watch.state;
    card.append(el('div', { class: 'watch', 'data-testid': 'watch-' + name }, text));
  }
  return card;
}

function drawChart(name) {
  const canvas = byId('chart-' + name);
  const series = state.series[name] || [];
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (series.length < 2) return;
  const line = (values, color) => {
    const max = Math.max(1, ...values.filter((v) => v !== null));
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    values.forEach((v, i) => {
      if (v === null) return;
      const x = canvas.width - (series.length - 1 - i) * (canvas.width / (SERIES_LENGTH - 1));
      const y = canvas.height - 4 - (v / max) * (canvas.height - 8);
      if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      started = true;
    });
    ctx.stroke();
  };
  const styles = getComputedStyle(document.documentElement);
  line(series.map((s) => s.rps), styles.getPropertyValue('--blue'));
  line(series.map((s) => s.p99), styles.getPropertyValue('--orange'));
}

function historyItem(flip) {
  const drain = flip.drained === null || flip.drained === undefined ? 'draining'
    : flip.drained ? 'drained in ' + flip.drainMillis + ' ms' : 'drain incomplete after ' + flip.drainMillis + ' ms';
  return el('li', null, 'generation ' + flip.generation + ': ' + flip.from + ' → ' + flip.to + ', ' + flip.reason
    + (flip.forced ? ' (forced)' : '') + ' by ' + flip.by + ' at ' + flip.at + ', ' + drain
    + (flip.detail ? ' (' + flip.detail + ')' : ''));
}

// ---- actions -----------------------------------------------------------------

function showMessage(text, refused) {
  const message = byId('message');
  message.textContent = text;
  message.className = refused ? 'refused' : '';
}

/** The gate's reason and each failing backend, as the CLI prints it. */
function refusalText(body) {
  if (!body || !body.error) return 'refused';
  if (body.error !== 'gate_failed') return 'refused (' + body.error + '): ' + (body.detail || '');
  const failures = (body[body.reason] || []).map((f) => f.backend + ': '
    + (f.path ? f.method + ' ' + f.path + ' ' : '') + (f.error || (f.status !== undefined ? 'status ' + f.status : 'not checked yet')));
  return 'the switch gate refused ' + body.pool + ' (' + body.reason + '): ' + body.detail
    + (failures.length ? '\n' + failures.join('\n') : '');
}

function confirmAction(text, then) {
  state.pending = then;
  byId('dialog-text').textContent = text;
  byId('dialog').hidden = false;
  byId('confirm').focus();
}

function closeDialog() {
  state.pending = null;
  byId('dialog').hidden = true;
}

function ask(action, text) {
  const force = byId('force').checked;
  confirmAction(text, () => {
    if (!force) return run(action, false);
    // A second, separate confirmation: force skips the checks that keep a broken release from taking traffic.
    confirmAction('Force skips the health gate and the smoke requests: traffic moves even to unhealthy backends. Force it?',
      () => run(action, true));
  });
}

async function run(action, force) {
  const path = action.path + (action.path.includes('?') ? '&' : '?') + 'wait=false' + (force ? '&force=true' : '');
  showMessage(action.label + '…', false);
  try {
    const answer = await api('POST', path);
    if (answer.status === 200) {
      const r = answer.body;
      showMessage(r.changed
        ? action.label + ': ' + r.from + ' → ' + r.to + ' (generation ' + r.generation + ')' + (r.forced ? ', forced' : '')
          + ', ' + r.inFlightAtSwitch + ' request(s) draining on ' + r.from
        : r.to + ' is already active', false);
      await refresh();
    } else {
      showMessage(refusalText(answer.body), true);
    }
  } catch (e) {
    if (!(e instanceof Unauthorized)) showMessage(action.label + ' failed: ' + e.message, true);
  }
}

function switchTarget() {
  const status = state.status;
  const others = Object.keys(status.pools).filter((n) => n !== status.active);
  return others.length === 1 ? others[0] : byId('target').value;
}

function wire() {
  byId('switch-button').addEventListener('click', () => {
    if (!state.status) return;
    const to = switchTarget();
    ask({ label: 'switch', path: '/admin/switch?to=' + encodeURIComponent(to) },
      'Switch traffic from ' + state.status.active + ' to ' + to + '?');
  });
  byId('rollback-button').addEventListener('click', () => {
    if (!state.status || !state.status.previous) return;
    ask({ label: 'rollback', path: '/admin/rollback' },
      'Roll back from ' + state.status.active + ' to ' + state.status.previous + '?');
  });
  byId('confirm').addEventListener('click', () => {
    const then = state.pending;
    closeDialog();
    if (then) then();
  });
  byId('cancel').addEventListener('click', () => {
    closeDialog();
    showMessage('cancelled', false);
  });
  byId('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = byId('token-input').value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    byId('token-input').value = '';
    byId('token-form').hidden = true;
    showMessage('', false);
    follow();
  });
}

wire();
follow();
