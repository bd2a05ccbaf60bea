// Restart drill: real graphql-ws (WebSocket) and graphql-sse (SSE, distinct
// connections) clients subscribe to noticePosted, configured as the README
// says an app should: retry forever with a short capped backoff, and resume
// with `after` = the cursor of the last notice received.
//
// Usage: node drill.mjs '<json>' with {url, token, workspace, ws, sse,
// expect, timeoutMs}. It prints one JSON line when every subscriber has
// received `expect` notices or the time is up:
// {subscribers: [{kind, titles: [...], retries, errors: [...], completed}], ms}
import { createClient as createWSClient } from 'graphql-ws';
import { createClient as createSSEClient } from 'graphql-sse';
import WebSocket from 'ws';

const cfg = JSON.parse(process.argv[2]);
const query = `subscription Board($ws: ID, $after: Cursor) {
  noticePosted(workspaceId: $ws, after: $after) { id title cursor }
}`;

// Capped exponential backoff with jitter: 100 ms, 200 ms, … at most 2 s.
const backoff = (retries) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** retries, 2000) * (0.5 + Math.random() / 2)));

const started = Date.now();
const subscribers = [];
let finish;
const finished = new Promise((resolve) => (finish = resolve));
const check = () => {
  if (subscribers.every((s) => s.titles.length >= cfg.expect || s.completed || s.errors.length)) finish();
};

function subscribe(kind, client) {
  const s = { kind, titles: [], retries: 0, errors: [], completed: false };
  subscribers.push(s);
  // The client sends this object again on every retry: `after` moves on
  // with every notice, so a resubscription resumes where this one stopped.
  const payload = { query, variables: { ws: cfg.workspace, after: null } };
  client.subscribe(payload, {
    next(result) {
      if (result.errors) {
        s.errors.push(JSON.stringify(result.errors));
      } else {
        s.titles.push(result.data.noticePosted.title);
        payload.variables.after = result.data.noticePosted.cursor;
      }
      check();
    },
    error(err) {
      s.errors.push(String(err && (err.message || err.reason || err.code || err)));
      check();
    },
    complete() {
      s.completed = true;
      check();
    },
  });
  return s;
}

const clients = [];
for (let i = 0; i < cfg.ws; i++) {
  let s;
  const client = createWSClient({
    url: cfg.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${cfg.token}` },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: backoff,
    on: { connected: (_socket, _payload, retrying) => retrying && s && s.retries++ },
  });
  clients.push(client);
  s = subscribe('graphql-ws', client);
}
for (let i = 0; i < cfg.sse; i++) {
  let s;
  const client = createSSEClient({
    url: cfg.url,
    headers: { Authorization: `Bearer ${cfg.token}` },
    singleConnection: false,
    retryAttempts: Infinity,
    retry: backoff,
    on: { connected: (retrying) => retrying && s && s.retries++ },
  });
  clients.push(client);
  s = subscribe('graphql-sse', client);
}

const timer = setTimeout(finish, cfg.timeoutMs);
await finished;
clearTimeout(timer);
process.stdout.write(JSON.stringify({ subscribers, ms: Date.now() - started }) + '\n');
for (const c of clients) c.dispose();
process.exit(0);
