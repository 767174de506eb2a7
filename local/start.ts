import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';
import { startLocalStack } from './stack.js';

/** `npm start`: the whole system on this machine, until Ctrl+C. */
const started = Date.now();
// With the fault layer on, so a person can make AWS fail on purpose (`npm run faults`) and try an incident.
const stack = await startLocalStack(undefined, { faults: true, faultControl: true });
const { urls, config } = stack;
// For the operations CLI (`npm run cases -- --local …`): endpoints, table, ARNs and this run's link keys.
const runtimeFile = await writeRuntimeFile(stack);
console.log(`
Zmiana dostawcy SD — local stack is up (${Date.now() - started} ms)

  Notification form (JST):      ${urls.form}   through the CloudFront + WAF model: ${config.FORM_POSTS_PER_CLIENT} form POSTs per client per ${config.FORM_POST_RATE_WINDOW_SECONDS} s
  API's own endpoint (origin):  ${urls.origin}   refuses every request not through the edge (403)
  E-mail inbox (SES stand-in):  ${urls.inbox}
  Step Functions API:           ${urls.stepFunctions}
  DynamoDB API (dynalite):      ${urls.dynamodb}   table ${config.TABLE_NAME}
  SQS API (fauxqs), the outbox: ${urls.sqs}   send-email keeps to ${config.SES_MAX_SEND_RATE} recipients/s (SES_MAX_SEND_RATE)

  MRPiPS address: ${config.MRPIPS_EMAIL}; voivodeship administrators: administrator.mzt.<TERYT 2 digits>@uw.local
  A participant who does not answer is reminded every ${config.RESPONSE_TIMEOUT_SECONDS} s; MRPiPS is told after ${config.ESCALATE_AFTER_REMINDERS} reminders.
  SES mailbox simulator: success@, bounce@, suppressionlist@, complaint@, ooto@simulator.amazonses.com as an address
  produce the delivery events SES would (on the status page and in npm run cases -- --local show <case>).

  Follow executions with the AWS CLI, e.g.:
    aws stepfunctions list-executions --endpoint-url ${urls.stepFunctions} --region eu-central-1 \\
      --state-machine-arn ${stack.procedureArn}

  Operations CLI on this stack:  npm run cases -- --local list   (reads ${runtimeFile}); outbox, redrive for the e-mail queue
  AWS faults on this stack:      npm run faults -- help          (e.g. reject-email, then clear)

Press Ctrl+C to stop (all data is in memory).`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    void removeRuntimeFile(runtimeFile)
      .then(() => stack.close())
      .then(() => process.exit(0));
  });
}
