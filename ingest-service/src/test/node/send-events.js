// Drives the real @segment/analytics-node client against ingest (used by AnalyticsNodeInteropTest).
// Prints one JSON line per event the client reports as delivered: {"type","messageId","timestamp"}.
// Environment: INGEST_HOST, WRITE_KEY, RUN_ID, USER_ID, PAST_TIMESTAMP (ISO-8601), FLUSH_COUNT.
const { Analytics } = require('@segment/analytics-node');

// Every setting is required; all missing ones are named at once.
const unset = ['INGEST_HOST', 'WRITE_KEY', 'RUN_ID', 'USER_ID', 'PAST_TIMESTAMP', 'FLUSH_COUNT']
  .filter((name) => !process.env[name]);
if (unset.length > 0) {
  throw new Error(`not set: ${unset.join(', ')}`);
}
const { INGEST_HOST, WRITE_KEY, RUN_ID: run, USER_ID: userId } = process.env;
const past = new Date(process.env.PAST_TIMESTAMP);
const flushCount = Number(process.env.FLUSH_COUNT);

// The client's defaults: POST <host>/v1/batch with HTTP Basic (write key as user name).
const analytics = new Analytics({
  writeKey: WRITE_KEY,
  host: INGEST_HOST,
  flushAt: 50,
  flushInterval: 500,
  maxRetries: 0,
});

let failures = 0;
analytics.on('error', (err) => {
  failures++;
  console.error('analytics-node error:', err && (err.reason || err.message || err));
});

const delivered = (err, ctx) => {
  if (err) {
    failures++;
    console.error('not delivered:', err);
    return;
  }
  const e = ctx.event;
  console.log(JSON.stringify({ type: e.type, messageId: e.messageId, timestamp: e.timestamp }));
};

analytics.identify({ userId, messageId: `${run}-identify`, traits: { name: 'Ada', plan: 'pro' } }, delivered);
analytics.track({ userId, messageId: `${run}-track`, event: 'Order Completed', properties: { revenue: 42 },
  timestamp: past }, delivered);
analytics.page({ userId, messageId: `${run}-page`, name: 'Pricing', properties: { path: '/pricing' } }, delivered);
for (let i = 0; i < flushCount; i++) {
  analytics.track({ anonymousId: `${run}-anon-${i % 7}`, event: 'Item Viewed', properties: { index: i } }, delivered);
}

analytics.closeAndFlush({ timeout: 30000 }).then(() => {
  process.exit(failures === 0 ? 0 : 1);
}, (err) => {
  console.error('flush failed:', err);
  process.exit(2);
});
