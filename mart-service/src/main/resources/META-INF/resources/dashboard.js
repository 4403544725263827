// The Tidemark dashboard: reads the mart API with the read token the user entered. The token is
// kept in this browser's localStorage only; a "#token=..." link fragment (never sent to a server)
// is stored the same way and then removed from the address bar.
'use strict';

const TOKEN_KEY = 'tidemark.readToken';
const DEFAULT_DAYS = 30;
const $ = (id) => document.getElementById(id);
const DELAYS = [['upTo1h', 'delay-1h', '≤ 1 h'], ['upTo1d', 'delay-1d', '≤ 1 d'], ['upTo3d', 'delay-3d', '≤ 3 d'],
  ['upTo7d', 'delay-7d', '≤ 7 d'], ['upTo30d', 'delay-30d', '≤ 30 d'], ['later', 'delay-later', 'later'],
  ['unknown', 'delay-unknown', 'unknown']];
const PALETTE = ['#4e79a7', '#59a14f', '#edc948', '#f28e2b', '#e15759', '#b07aa1', '#9c755f', '#76b7b2', '#ff9da7', '#bab0ac'];
let chart;
let latenessChart;
let shown;

function utcDay(date) {
  return date.toISOString().slice(0, 10);
}

function readTokenFromFragment() {
  const match = /(?:^|&)token=([^&]*)/.exec(location.hash.slice(1));
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: 'Bearer ' + $('token').value.trim() } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error((body.title || response.status) + ': ' + (body.detail || response.statusText));
  }
  return body;
}

async function loadSources(wanted) {
  const sources = await api('/api/v1/sources');
  const select = $('source');
  select.replaceChildren(...sources.map((source) => new Option(source, source)));
  if (wanted && !sources.includes(wanted)) {
    select.add(new Option(wanted, wanted));
  }
  if (wanted) {
    select.value = wanted;
  }
}

function fillTable(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    cells.forEach((cell, i) => {
      const td = document.createElement('td');
      td.textContent = cell;
      td.className = ['name', 'count', 'users'][i];
      tr.appendChild(td);
    });
    return tr;
  }));
}

// Rows of cells, each cell's class from `classes`; new panels use their own class names so that the
// name/count/users rows stay those of the daily and top-events tables.
function fillCells(id, rows, classes, rowClass) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows.map((cells, r) => {
    const tr = document.createElement('tr');
    if (rowClass) {
      tr.className = rowClass(r);
    }
    cells.forEach((cell, i) => {
      const td = document.createElement('td');
      td.textContent = cell;
      td.className = typeof classes === 'function' ? classes(i) : classes[i];
      tr.appendChild(td);
    });
    return tr;
  }));
}

function fillHead(id, names) {
  const tr = document.createElement('tr');
  names.forEach((name) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    tr.appendChild(th);
  });
  $(id).tHead.replaceChildren(tr);
}

function percent(share) {
  return share === null || share === undefined ? '–' : (share * 100).toFixed(1) + '%';
}

// 90061 -> "1 d 1 h": the two largest units, enough to read a delay at a glance.
function duration(seconds) {
  if (seconds === null || seconds === undefined) {
    return '–';
  }
  const units = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
  const parts = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(Math.floor(rest / size) + ' ' + unit);
      rest %= size;
    } else if (parts.length) {
      break;
    }
  }
  return parts.length ? parts.join(' ') : '0 s';
}

function signed(number) {
  return number > 0 ? '+' + number : String(number);
}

function barChart(existing, canvas, data, stacked) {
  const options = { maintainAspectRatio: false, animation: false };
  if (stacked) {
    options.scales = { x: { stacked: true }, y: { stacked: true } };
  }
  if (existing) {
    existing.data = data;
    existing.options = options;
    existing.update();
    return existing;
  }
  return new Chart(canvas, { type: 'bar', data, options });
}

function breakdownSeries(days) {
  const first = days[0].breakdown;
  const series = first.values.map((v, i) => ({ label: v.value, pick: (b) => b.values[i] }));
  series.push({ label: 'other', pick: (b) => b.other }, { label: 'missing', pick: (b) => b.missing });
  return series;
}

function drawChart(days) {
  let datasets;
  if (days.length && days[0].breakdown) {
    datasets = breakdownSeries(days).map((s, i) => ({
      label: s.label, data: days.map((d) => s.pick(d.breakdown).events), backgroundColor: PALETTE[i % PALETTE.length],
    }));
  } else {
    datasets = [
      { label: 'Events', data: days.map((d) => d.events), backgroundColor: '#4e79a7' },
      { label: 'Users', data: days.map((d) => d.users), type: 'line', borderColor: '#f28e2b', backgroundColor: '#f28e2b' },
    ];
  }
  chart = barChart(chart, $('daily-chart'), { labels: days.map((d) => d.date), datasets }, datasets.length > 2);
}

function showBreakdown(daily) {
  $('breakdown-section').hidden = !daily.by;
  if (!daily.by || !daily.days.length) {
    return;
  }
  $('breakdown-title').textContent = 'Events per day by ' + daily.by;
  $('breakdown-caption').textContent = 'Events per day by ' + daily.by + ': the top values, other and missing';
  const series = breakdownSeries(daily.days);
  fillHead('breakdown', ['Date', ...series.map((s) => s.label)]);
  fillCells('breakdown', daily.days.map((d) => [d.date, ...series.map((s) => s.pick(d.breakdown).events)]),
    (i) => (i === 0 ? 'bd-date' : 'bd-events'));
}

function showTopBreakdown(top) {
  if (!top.by) {
    return;
  }
  $('top-breakdown-title').textContent = 'Top events by ' + top.by;
  const rows = [];
  top.events.forEach((e) => {
    e.breakdown.values.forEach((v) => rows.push([e.event, v.value, v.events, v.users]));
    rows.push([e.event, 'other', e.breakdown.other.events, e.breakdown.other.users]);
    rows.push([e.event, 'missing', e.breakdown.missing.events, e.breakdown.missing.users]);
  });
  fillCells('top-breakdown', rows, ['tb-event', 'tb-value', 'tb-events', 'tb-users']);
}

function showLateness(lateness, daily) {
  const w = lateness.window;
  $('finality').textContent = 'A day is final once the export has passed its end plus '
    + duration(w.finalAfterSeconds) + (w.p999Seconds === null ? ' (no measured delay yet: the configured fallback)'
      : ', the delay within which 99.9 % of the events of ' + w.days + ' recent days (' + w.from + ' to ' + w.to + ', '
      + w.events + ' events) arrived; 99 % within ' + duration(w.p99Seconds))
    + '. Provisional days may still change; a revised day changed since its first report.';
  const revised = new Map(daily.days.map((d) => [d.date, d.revised]));
  fillCells('days-final', lateness.days.map((d) => [d.date, d.status, d.finalAt || '', revised.get(d.date) ? 'revised' : '',
    ...DELAYS.map(([key]) => d.delays[key])]),
    ['final-date', 'final-status', 'final-at', 'revised-mark', ...DELAYS.map(([, cls]) => cls)],
    (r) => lateness.days[r].status);
  const datasets = DELAYS.map(([key, , label], i) => ({
    label, data: lateness.days.map((d) => d.delays[key]), backgroundColor: PALETTE[i],
  }));
  latenessChart = barChart(latenessChart, $('lateness-chart'), { labels: lateness.days.map((d) => d.date), datasets }, true);
}

function chooseRevisionDay(daily, wanted) {
  const select = $('revision-day');
  select.replaceChildren(...daily.days.map((d) => new Option(d.date + (d.revised ? ' (revised)' : ''), d.date)));
  const revised = daily.days.filter((d) => d.revised).map((d) => d.date);
  const withEvents = daily.days.filter((d) => d.events > 0).map((d) => d.date);
  select.value = daily.days.some((d) => d.date === wanted) ? wanted
    : revised.length ? revised[revised.length - 1] : withEvents.length ? withEvents[withEvents.length - 1] : daily.to;
}

async function loadRevisions(source) {
  const day = $('revision-day').value;
  const revisions = await api('/api/v1/metrics/revisions?source=' + encodeURIComponent(source) + '&date=' + day);
  $('revisions-caption').textContent = 'Every export of ' + day;
  const summary = $('revision-summary');
  summary.replaceChildren();
  const part = (text, cls) => {
    if (cls) {
      const span = document.createElement('span');
      span.className = cls;
      span.textContent = text;
      summary.appendChild(span);
    } else {
      summary.appendChild(document.createTextNode(text));
    }
  };
  if (revisions.firstReported) {
    part('First reported ' + revisions.firstReported.exportedAt + ': ');
    part(revisions.firstReported.events, 'rev-first-events');
    part(' events, ');
    part(revisions.firstReported.users, 'rev-first-users');
    part(' users. ');
  } else {
    part('Not exported yet. ');
  }
  part('Now: ');
  part(revisions.now.events, 'rev-now-events');
  part(' events, ');
  part(revisions.now.users, 'rev-now-users');
  part(' users' + (revisions.now.pendingChanges ? '; events stored since wait for the next export.' : '.'));
  fillCells('revisions', revisions.revisions.map((r) => [r.number, r.exportedAt, r.events, r.users,
    signed(r.eventsChange), signed(r.usersChange)]),
  ['rev-number', 'rev-at', 'rev-events', 'rev-users', 'rev-events-change', 'rev-users-change']);
}

function showRetention(retention) {
  const unit = retention.period === 'week' ? 'Week' : 'Day';
  const first = retention.period === 'week' ? 'ISO week (UTC)' : 'day';
  $('retention-title').textContent = 'Retention by first-seen ' + (retention.period === 'week' ? 'week' : 'day');
  $('retention-note').textContent = 'Share of each cohort active k ' + unit.toLowerCase() + 's later (UTC); – for a '
    + unit.toLowerCase() + ' not begun.';
  $('retention-caption').textContent = 'Share of each first-seen ' + first + ' cohort active 0 to ' + retention.periods
    + ' ' + unit.toLowerCase() + 's later';
  fillHead('retention', ['Cohort', 'Users', ...Array.from({ length: retention.periods + 1 }, (_, k) => unit + ' ' + k)]);
  fillCells('retention', retention.cohorts.map((c) => [c.start, c.users, ...c.share.map(percent)]),
    (i) => (i === 0 ? 'ret-cohort' : i === 1 ? 'ret-users' : 'ret-share'));
}

async function loadFunnel(source, from, to) {
  const steps = $('steps').value.trim();
  if (!steps) {
    fillCells('funnel', [], []);
    return;
  }
  const within = $('within').value.trim() || '1d';
  const funnel = await api('/api/v1/metrics/funnel?source=' + encodeURIComponent(source) + '&from=' + from + '&to=' + to
    + '&steps=' + encodeURIComponent(steps) + '&within=' + encodeURIComponent(within));
  fillCells('funnel', funnel.steps.map((s) => [s.number, s.event, s.users, percent(s.conversionFromPrevious),
    percent(s.conversionFromStart), s.medianSecondsFromPrevious === null ? '–' : Math.round(s.medianSecondsFromPrevious) + ' s']),
  ['funnel-step', 'funnel-event', 'funnel-users', 'funnel-from-previous', 'funnel-from-start', 'funnel-median']);
}

async function loadRetention(source, from, to) {
  const periods = $('periods').value.trim() || '7';
  showRetention(await api('/api/v1/metrics/retention?source=' + encodeURIComponent(source) + '&from=' + from + '&to=' + to
    + '&period=' + $('period').value + '&periods=' + encodeURIComponent(periods)));
}

// The query this view answers, for the address bar and the "Link to this view" link; never the token.
function viewLink() {
  const state = new URLSearchParams();
  state.set('source', $('source').value);
  state.set('from', $('from').value);
  state.set('to', $('to').value);
  const optional = [['by', $('by').value.trim()], ['day', $('revision-day').value], ['steps', $('steps').value.trim()],
    ['within', $('within').value.trim()], ['period', $('period').value], ['periods', $('periods').value.trim()]];
  const defaults = { within: '1d', period: 'day', periods: '7' };
  optional.filter(([key, value]) => value && value !== defaults[key]).forEach(([key, value]) => state.set(key, value));
  return '?' + state;
}

function remember() {
  const link = viewLink();
  $('permalink').href = link;
  history.replaceState(null, '', link);
}

// Announced through the status line (aria-live) and marked busy for assistive technology.
function busy(what) {
  $('main').setAttribute('aria-busy', 'true');
  $('status').textContent = 'Loading ' + what + '…';
}

async function load(wantedDay) {
  const source = $('source').value;
  const from = $('from').value;
  const to = $('to').value;
  const by = $('by').value.trim();
  $('error').hidden = true;
  if (!source) {
    throw new Error('no source has events yet');
  }
  busy('the numbers of ' + source);
  const query = 'source=' + encodeURIComponent(source);
  const range = '&from=' + from + '&to=' + to;
  const [daily, active, top, lateness] = await Promise.all([
    api('/api/v1/metrics/daily?' + query + range + (by ? '&by=' + encodeURIComponent(by) : '')),
    api('/api/v1/metrics/active-users?' + query + '&date=' + to),
    api('/api/v1/metrics/top-events?' + query + range + '&limit=10' + (by ? '&by=' + encodeURIComponent(by) : '')),
    api('/api/v1/metrics/lateness?' + query + range),
  ]);
  $('freshness').textContent = daily.exportedThrough
    ? 'Numbers include every event stored before ' + daily.exportedThrough + ' (UTC days).'
    : 'Not exported yet: numbers appear after the next export.';
  $('dau').textContent = active.dau;
  $('wau').textContent = active.wau;
  $('mau').textContent = active.mau;
  $('active-date').textContent = 'Active users of the day, 7 and 30 days ending ' + active.date;
  fillTable('daily', daily.days.map((d) => [d.date, d.events, d.users]));
  fillTable('top-events', top.events.map((e) => [e.event, e.count, e.users]));
  drawChart(daily.days);
  showBreakdown(daily);
  showTopBreakdown(top);
  showLateness(lateness, daily);
  chooseRevisionDay(daily, wantedDay);
  await Promise.all([loadRevisions(source), loadFunnel(source, from, to), loadRetention(source, from, to)]);
  shown = { source, from, to };
  $('main').setAttribute('aria-busy', 'false');
  $('status').textContent = 'Showing ' + source + ', ' + from + ' to ' + to + '.';
  document.body.dataset.loaded = source + ' ' + from + ' ' + to;
  remember();
}

function showError(error) {
  $('error').textContent = error.message;
  $('error').hidden = false;
  $('main').setAttribute('aria-busy', 'false');
  $('status').textContent = 'Not loaded.';
  document.body.dataset.loaded = 'error';
}

// A panel's own form reloads that panel only, then records the view in the link.
function reloadPanel(what, loader) {
  if (shown) {
    busy(what);
    loader(shown).then(() => {
      $('main').setAttribute('aria-busy', 'false');
      $('status').textContent = 'Showing ' + what + '.';
      remember();
    }).catch(showError);
  }
}

async function start() {
  readTokenFromFragment();
  const params = new URLSearchParams(location.search);
  const today = new Date();
  $('to').value = params.get('to') || utcDay(today);
  $('from').value = params.get('from') || utcDay(new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86400000));
  $('token').value = localStorage.getItem(TOKEN_KEY) || '';
  $('by').value = params.get('by') || '';
  $('steps').value = params.get('steps') || '';
  $('within').value = params.get('within') || '1d';
  $('period').value = params.get('period') === 'week' ? 'week' : 'day';
  $('periods').value = params.get('periods') || '7';
  $('revision-day').addEventListener('change', () => {
    reloadPanel('the revisions of ' + $('revision-day').value, (v) => loadRevisions(v.source));
  });
  $('funnel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    reloadPanel('the funnel', (v) => loadFunnel(v.source, v.from, v.to));
  });
  $('retention-form').addEventListener('submit', (event) => {
    event.preventDefault();
    reloadPanel('the retention grid', (v) => loadRetention(v.source, v.from, v.to));
  });
  $('controls').addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, $('token').value.trim());
    loadSources($('source').value || params.get('source')).then(load).catch(showError);
  });
  if ($('token').value) {
    await loadSources(params.get('source'));
    await load(params.get('day'));
  }
}

start().catch(showError);
