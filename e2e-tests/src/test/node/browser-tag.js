// Drives Segment's browser SDK, analytics-next as ingest serves it, in Debian's Chromium (used by
// BrowserTagIT). A small site on its own origin serves two pages that carry Segment's copy-paste snippet,
// rendered by Segment's own generator (@segment/snippet) with ingest as its host. For each delivery mode
// (standard, then batching set by the snippet's load options) a fresh browser context opens the first
// page, makes identify, page, track, group and alias calls, then fires one more track and at once
// navigates to the second page.
//
// A source middleware on both pages reports every call the SDK makes, with the ids and time it gave it,
// before it is sent; requests to ingest are watched to record how each call went on the wire.
// Prints one JSON document: { pageOrigin, ingestOrigin, foreignRequests, calls: [ ... ] }, each call
// { mode, page, type, event, messageId, anonymousId, timestamp, replayed, sends: [ "<path> <outcome>" ... ] }
// (replayed: analytics-next had queued it in localStorage for the next page to send again).
// Environment: INGEST_HOST (host:port of a plain-http ingest), WRITE_KEY, CHROMIUM (default /usr/bin/chromium).
'use strict';
const http = require('http');
const snippet = require('@segment/snippet');
const { chromium } = require('playwright-core');

const env = (name, fallback) => {
  const value = process.env[name] || fallback;
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};

const ingestHost = env('INGEST_HOST');
const ingestOrigin = `http://${ingestHost}`;
const writeKey = env('WRITE_KEY');
// Enough for both modes; when it runs out, the browser is closed and the script fails.
const GUARD_MS = 60000;
// How long a page waits for ingest to acknowledge every call it knows of; the test then asks Cassandra.
const SETTLE_MS = 10000;

const MODES = {
  standard: true,
  // Load options override the Segment.io settings ingest serves, as a site would set them.
  batching: { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 1000 } } } } },
};

function renderSnippet(mode) {
  const rendered = snippet.min({ apiKey: writeKey, host: ingestHost, useHostForBundles: true, load: MODES[mode], page: true });
  // The generator writes https:// for the tag and for analytics._cdn; this ingest speaks plain http.
  // analytics-next finds its CDN (settings, lazy chunks) from analytics._cdn, else by matching its own
  // script src against https://…/analytics.js/v1/, else cdn.segment.com: so over plain http the _cdn
  // line (useHostForBundles) is what keeps it on ingest. Over https the snippet needs only the host.
  return rendered.split('https://').join('http://');
}

// The site's own script: a source middleware that tells the test about each call (exposed by Playwright).
const REPORTER = `analytics.addSourceMiddleware(function (m) {
  var e = m.payload.obj;
  if (window.tidemarkCall) {
    window.tidemarkCall({ page: location.pathname, type: e.type, event: e.event || null, messageId: e.messageId,
      anonymousId: e.anonymousId || null, timestamp: new Date(e.timestamp).toISOString() });
  }
  m.next(m.payload);
});`;

function html(title, mode) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>` +
    `<script>${renderSnippet(mode)}</script><script>${REPORTER}</script></head>` +
    `<body><h1>${title}</h1></body></html>`;
}

function startSite() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://site');
    const mode = url.searchParams.get('mode');
    const title = { '/index.html': 'Pricing', '/next.html': 'Checkout' }[url.pathname];
    if (title && MODES[mode]) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(html(title, mode));
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Runs in each document before the snippet: which calls analytics-next left in localStorage for this page
// to send again (its Segment.io queue persists the calls still in flight when the previous page went).
const QUEUED_AT_LOAD = `window.tidemarkQueuedAtLoad = Object.keys(localStorage)
  .filter(function (key) { return /^persisted-queue:v1:.*:dest-Segment\\.io:items$/.test(key); })
  .flatMap(function (key) { return JSON.parse(localStorage.getItem(key)).map(function (ctx) { return ctx.event.messageId; }); });`;

// Calls by messageId, in the order the middleware saw them.
const calls = new Map();
const foreignRequests = [];
// The pending acknowledgedCalls, checked whenever a call is reported and whenever ingest answers.
let waiter = null;

const acknowledged = (call) => call.sends.some((send) => / 2\d\d$/.test(send));
const checkWaiter = () => {
  if (waiter && waiter.done()) {
    waiter.resolve(true);
    waiter = null;
  }
};
// Settles once `mode` has `count` calls and ingest acknowledged those that `owed` picks.
const acknowledgedCalls = (mode, count, owed = () => true) => new Promise((resolve) => {
  const ofMode = () => [...calls.values()].filter((call) => call.mode === mode);
  const timer = setTimeout(() => {
    waiter = null;
    console.error(`[${mode}] ${ofMode().filter(acknowledged).length} of ${ofMode().length} calls acknowledged within ${SETTLE_MS} ms`);
    resolve(false);
  }, SETTLE_MS);
  waiter = { done: () => ofMode().length >= count && ofMode().filter(owed).every(acknowledged),
    resolve: (value) => { clearTimeout(timer); resolve(value); } };
  checkWaiter();
});

function messageIdsOf(request) {
  try {
    const body = JSON.parse(request.postData() || '{}');
    return (Array.isArray(body.batch) ? body.batch : [body]).map((event) => event.messageId);
  } catch (_) {
    return [];
  }
}

function recordSend(request, outcome) {
  const path = new URL(request.url()).pathname;
  for (const id of messageIdsOf(request)) {
    const call = calls.get(id);
    if (call) {
      call.sends.push(`${path} ${outcome}`);
    }
  }
  checkWaiter();
}

function watch(context, mode, siteOrigin) {
  context.on('request', (request) => {
    const origin = new URL(request.url()).origin;
    if (origin !== ingestOrigin && origin !== siteOrigin) {
      foreignRequests.push(`${request.method()} ${request.url()}`);
    }
  });
  const isCall = (request) => request.method() === 'POST' && request.url().startsWith(`${ingestOrigin}/v1/`);
  context.on('requestfinished', async (request) => {
    if (isCall(request)) {
      const response = await request.response();
      recordSend(request, response ? response.status() : 'no-response');
    }
  });
  context.on('requestfailed', (request) => {
    if (isCall(request)) {
      recordSend(request, (request.failure() || {}).errorText || 'failed');
    }
  });
  context.addInitScript(QUEUED_AT_LOAD);
  return context.exposeBinding('tidemarkCall', (_source, call) => {
    if (!calls.has(call.messageId)) {
      calls.set(call.messageId, { mode, ...call, replayed: false, sends: [] });
    }
    checkWaiter();
  });
}

async function runMode(browser, siteOrigin, mode) {
  // A fresh context: a new anonymous user with empty localStorage.
  const context = await browser.newContext();
  try {
    await watch(context, mode, siteOrigin);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[${mode}] page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        console.error(`[${mode}] console: ${message.text()}`);
      }
    });
    const loaded = () => page.waitForFunction(() => window.analytics && window.analytics.initialized === true,
      null, { timeout: 15000 });

    await page.goto(`${siteOrigin}/index.html?mode=${mode}`);
    await loaded();
    await page.evaluate(() => {
      analytics.identify('ada', { plan: 'team', email: 'ada@example.com' });
      analytics.page('Docs', 'Pricing', { tier: 'team' });
      analytics.track('Plan Compared', { plans: 2 });
      analytics.group('acme', { name: 'Acme' });
      analytics.alias('ada-2');
    });
    // The snippet's own page() and these five.
    await acknowledgedCalls(mode, 6);

    // The last call leaves with the page: nothing waits for it before the navigation starts.
    const next = `${siteOrigin}/next.html?mode=${mode}`;
    await Promise.all([
      page.waitForURL(next),
      page.evaluate((target) => {
        analytics.track('Checkout Started', { plan: 'team' });
        location.href = target;
      }, next),
    ]);
    await loaded();
    const queued = await page.evaluate(() => window.tidemarkQueuedAtLoad);
    queued.filter((id) => calls.has(id)).forEach((id) => { calls.get(id).replayed = true; });
    // The track that left with the first page, and the second page's own page(). What the first page
    // handed over while leaving (a keepalive request) only Cassandra can confirm; what it queued for this
    // page to send again must be acknowledged here.
    await acknowledgedCalls(mode, 8, (call) => call.page === '/next.html' || call.replayed);
  } finally {
    await context.close();
  }
}

(async () => {
  const site = await startSite();
  const siteOrigin = `http://127.0.0.1:${site.address().port}`;
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    // No host but loopback resolves: the tag must need nothing from Segment or anywhere else.
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
  const guard = setTimeout(() => {
    console.error(`browser-tag: gave up after ${GUARD_MS} ms`);
    browser.close().finally(() => process.exit(1));
  }, GUARD_MS);
  try {
    for (const mode of Object.keys(MODES)) {
      await runMode(browser, siteOrigin, mode);
    }
  } finally {
    clearTimeout(guard);
    await browser.close();
    site.close();
  }
  console.log(JSON.stringify({ pageOrigin: siteOrigin, ingestOrigin, foreignRequests, calls: [...calls.values()] }, null, 1));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
