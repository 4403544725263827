// The Tidemark dashboard: reads the mart API with the read token the user entered. The token is
// kept in this browser's localStorage only; a "#token=..." link fragment (never sent to a server)
// is stored the same way and then removed from the address bar.
'use strict';

const TOKEN_KEY = 'tidemark.readToken';
const DEFAULT_DAYS = 30;
const $ = (id) => document.getElementById(id);
let chart;

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

function drawChart(days) {
  const data = {
    labels: days.map((d) => d.date),
    datasets: [
      { label: 'Events', data: days.map((d) => d.events), backgroundColor: '#4e79a7' },
      { label: 'Users', data: days.map((d) => d.users), type: 'line', borderColor: '#f28e2b', backgroundColor: '#f28e2b' },
    ],
  };
  if (chart) {
    chart.data = data;
    chart.update();
  } else {
    chart = new Chart($('daily-chart'), { type: 'bar', data, options: { maintainAspectRatio: false, animation: false } });
  }
}

async function load() {
  const source = $('source').value;
  const from = $('from').value;
  const to = $('to').value;
  $('error').hidden = true;
  if (!source) {
    throw new Error('no source has events yet');
  }
  const query = 'source=' + encodeURIComponent(source);
  const [daily, active, top] = await Promise.all([
    api('/api/v1/metrics/daily?' + query + '&from=' + from + '&to=' + to),
    api('/api/v1/metrics/active-users?' + query + '&date=' + to),
    api('/api/v1/metrics/top-events?' + query + '&from=' + from + '&to=' + to + '&limit=10'),
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
  document.body.dataset.loaded = source + ' ' + from + ' ' + to;
  history.replaceState(null, '', '?source=' + encodeURIComponent(source) + '&from=' + from + '&to=' + to);
}

function showError(error) {
  $('error').textContent = error.message;
  $('error').hidden = false;
  document.body.dataset.loaded = 'error';
}

async function start() {
  readTokenFromFragment();
  const params = new URLSearchParams(location.search);
  const today = new Date();
  $('to').value = params.get('to') || utcDay(today);
  $('from').value = params.get('from') || utcDay(new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86400000));
  $('token').value = localStorage.getItem(TOKEN_KEY) || '';
  $('controls').addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, $('token').value.trim());
    loadSources($('source').value || params.get('source')).then(load).catch(showError);
  });
  if ($('token').value) {
    await loadSources(params.get('source'));
    await load();
  }
}

start().catch(showError);
