// Runs graphql-http's GraphQL over HTTP server audit against the URL given
// as the first argument (e.g. http://127.0.0.1:8080/query) and exits 1
// unless every audit passes: no error, no warning, no notice.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url of /query>');
  process.exit(2);
}
const results = await Promise.all(serverAudits({ url }).map((a) => a.fn()));
let failed = 0;
for (const r of results) {
  if (r.status === 'ok') continue;
  failed++;
  let body = '';
  try {
    body = await r.response.text();
  } catch {
    body = '(body already read)';
  }
  console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}\n  ${r.response.status} ${r.response.headers.get('content-type')} ${body.slice(0, 300)}`);
}
console.log(`graphql-http audit: ${results.length - failed} of ${results.length} passed, ${failed} not`);
process.exit(failed === 0 ? 0 : 1);
