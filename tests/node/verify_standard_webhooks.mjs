// Verifies deliveries signed by hookfence with the official Standard Webhooks package, exactly as
// an app would: `new Webhook(secret).verify(body, headers)`.
//
// Usage: node verify_standard_webhooks.mjs FILE
//   FILE: {"secret": "whsec_...", "requests": [{"headers": {"name": "value", ...}, "body": "..."}]}
// Exit status: 0 when every request verifies, 1 when any does not (each failure is printed as
// "requests[i]: reason"), 2 when FILE cannot be read.
// Run by src/delivery/app_request_node_test.cc; scripts/test.sh installs the package.
import {readFileSync} from 'node:fs';
import {Webhook} from 'standardwebhooks';

if (process.argv.length !== 3) {
  console.error('usage: node verify_standard_webhooks.mjs FILE');
  process.exit(2);
}

let input;
try {
  input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (error) {
  console.error(`cannot read ${process.argv[2]}: ${error.message}`);
  process.exit(2);
}

const webhook = new Webhook(input.secret);
let verified = 0;
input.requests.forEach(({headers, body}, i) => {
  try {
    webhook.verify(body, headers);
    verified += 1;
  } catch (error) {
    console.log(`requests[${i}]: ${error.name}: ${error.message}`);
  }
});
console.log(`${verified} of ${input.requests.length} verified`);
process.exit(verified === input.requests.length ? 0 : 1);
