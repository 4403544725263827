// Drives the real @rudderstack/rudder-sdk-node against ingest (used by RudderStackNodeIT): one track
// whose timestamp the caller sets (EVENT_TIMESTAMP) and one identify. Prints one JSON line with what
// the client reports; exits 0 only if it reports every call delivered.
// Environment: DATA_PLANE_URL (ingest's base URL), WRITE_KEY, RUN_ID, EVENT_TIMESTAMP (ISO-8601).
const Analytics = require('@rudderstack/rudder-sdk-node');

// Every setting is required; all missing ones are named at once.
const settings = ['DATA_PLANE_URL', 'WRITE_KEY', 'RUN_ID', 'EVENT_TIMESTAMP'];
const unset = settings.filter((name) => !process.env[name]);
if (unset.length > 0) {
  throw new Error(`not set: ${unset.join(', ')}`);
}
const { DATA_PLANE_URL, WRITE_KEY, RUN_ID: run, EVENT_TIMESTAMP } = process.env;
// The SDK refuses a timestamp that is not a Date.
const timestamp = new Date(EVENT_TIMESTAMP);

// Its defaults but quicker: POST <dataPlaneUrl>/v1/batch, gzip, HTTP Basic (write key as user name).
const client = new Analytics(WRITE_KEY, {
  dataPlaneUrl: DATA_PLANE_URL,
  flushAt: 20,
  flushInterval: 500,
  errorHandler: (err) => console.error('rudder error:', err.response ? `HTTP ${err.response.status}` : err.message),
});

const results = {};
const call = (method, message) => new Promise((resolve) => {
  client[method](message, (err) => {
    results[message.messageId] = { type: method, delivered: !err, error: err ? String(err.message || err) : undefined };
    resolve();
  });
});

const guard = setTimeout(() => {
  console.log(JSON.stringify({ timedOut: true, results }));
  process.exit(1);
}, 30000);

(async () => {
  const calls = Promise.all([
    call('track', { messageId: `${run}-track`, userId: `${run}-user`, event: 'Invoice Paid',
      properties: { amount: 120 }, timestamp }),
    call('identify', { messageId: `${run}-identify`, userId: `${run}-user`, traits: { plan: 'team' } }),
  ]);
  await client.flush().catch(() => {});
  await calls;
  clearTimeout(guard);
  const delivered = Object.values(results).every((r) => r.delivered);
  console.log(JSON.stringify({ delivered, results }));
  process.exit(delivered ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
