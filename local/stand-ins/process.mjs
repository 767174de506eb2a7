// One stand-in (dynalite, aws-ses-v2-local or fauxqs) in a process of its own, so that it has a CPU core and a heap
// of its own: under load the local stack is otherwise one event loop shared with the handlers it serves.
// Started by local/stand-ins/index.ts with `fork`; reports its port over IPC and exits with its parent.
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, host, port, region] = process.argv.slice(2);

function listen(server) {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve(server.address().port);
    server.once('error', reject);
    server.once('listening', () => resolve(server.address().port));
  });
}

/**
 * What the stand-in has served, for the benchmark's cost model: DynamoDB's reads and writes and the request units
 * it would bill for them; SQS's API requests by action and the requests it would bill for them.
 */
const usage = kind === 'sqs' ? { requests: {}, billedRequests: 0, emptyReceives: 0 } : { reads: 0, writes: 0, readUnits: 0, writeUnits: 0 };

/**
 * dynalite works out consumed capacity as DynamoDB does (item size in 4 KB read / 1 KB write units, the larger
 * of the old and new item for a write, half for an eventually consistent read), but only when a request asks.
 * Every GetItem, PutItem, UpdateItem and DeleteItem goes through its addConsumedCapacity, so that is where the
 * units are tallied, asked or not. Writes refused by their condition are not tallied (DynamoDB bills them).
 */
function meterCapacity() {
  const db = require('dynalite/db');
  const original = db.addConsumedCapacity;
  db.addConsumedCapacity = (data, isRead, newItem, oldItem) => {
    let units = db.capacityUnits(newItem, isRead, data.ConsistentRead);
    if (oldItem != null) units = Math.max(units, db.capacityUnits(oldItem, isRead, data.ConsistentRead));
    if (isRead) (usage.reads += 1), (usage.readUnits += units);
    else (usage.writes += 1), (usage.writeUnits += units);
    return original(data, isRead, newItem, oldItem);
  };
}

/** SQS bills every 64 KB chunk of a request's payload as one request (https://aws.amazon.com/sqs/pricing/). */
const SQS_BILLED_CHUNK_BYTES = 64 * 1024;

/** A message's size as SQS counts it: the body, and each attribute's name, type and value. */
function messageBytes(body, attributes) {
  let bytes = Buffer.byteLength(body ?? '', 'utf8');
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType ?? '', 'utf8');
    bytes += Buffer.byteLength(attribute.StringValue ?? attribute.BinaryValue ?? '', 'utf8');
  }
  return bytes;
}

const sumOf = (messages, size) => messages.reduce((sum, message) => sum + size(message), 0);

/** The messages a ReceiveMessage answer carries (none for an error). */
function receivedMessages(response) {
  try {
    return (typeof response === 'string' && JSON.parse(response).Messages) || [];
  } catch {
    return [];
  }
}

/** The payload SQS bills an action for: the messages it sends or receives (other actions: none, one request). */
function billedPayloadBytes(action, request, received) {
  if (action === 'SendMessage') return messageBytes(request?.MessageBody, request?.MessageAttributes);
  if (action === 'SendMessageBatch') return sumOf(request?.Entries ?? [], (entry) => messageBytes(entry.MessageBody, entry.MessageAttributes));
  return sumOf(received, (message) => messageBytes(message.Body, message.MessageAttributes));
}

/**
 * fauxqs answers SQS's AWS JSON protocol; every action names itself in X-Amz-Target (`AmazonSQS.SendMessage`).
 * Counted when the answer goes out (an error too), so a receive is billed by the messages it returned; empty
 * receives apart, as their number depends on the long poll's wait (20 s for Lambda's pollers, less locally).
 */
function meterRequests(app) {
  app.addHook('onSend', (request, _reply, payload, done) => {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AmazonSQS.')) {
      const action = target.slice('AmazonSQS.'.length);
      const received = action === 'ReceiveMessage' ? receivedMessages(payload) : [];
      usage.requests[action] = (usage.requests[action] ?? 0) + 1;
      usage.billedRequests += Math.max(1, Math.ceil(billedPayloadBytes(action, request.body, received) / SQS_BILLED_CHUNK_BYTES));
      if (action === 'ReceiveMessage' && received.length === 0) usage.emptyReceives += 1;
    }
    done();
  });
}

async function startSqs() {
  const { buildApp } = await import('fauxqs');
  // Not in the package's exports, so by file: the store fauxqs would otherwise create itself.
  const { SqsStore } = await import(new URL('./sqs/sqsStore.js', import.meta.resolve('fauxqs')).href);
  const sqsStore = new SqsStore();
  // No host of its own: a queue URL is then on the origin the client called (http://127.0.0.1:PORT/000000000000/name),
  // as on AWS, where it is on the SQS endpoint. fauxqs's default, http://sqs.REGION.localhost:PORT/…, does not
  // resolve here, and the SDK sends to a queue URL's origin when it has no explicit endpoint (AWS_ENDPOINT_URL_SQS).
  sqsStore.host = '';
  // buildApp, not startFauxqs: startFauxqs listens on every interface, whatever the host.
  const app = buildApp({ logger: false, ...(region ? { defaultRegion: region } : {}), stores: { sqsStore } });
  meterRequests(app);
  await app.listen({ port: Number(port), host });
  return app.server.address().port;
}

async function start() {
  if (kind === 'dynamodb') {
    meterCapacity();
    const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.listen(Number(port), host);
    return listen(server);
  }
  if (kind === 'ses') {
    // aws-ses-v2-local resolves even when it could not listen (Express 5 hands the error to a callback that
    // ignores it), so the address is tried first, for a clear error such as EADDRINUSE.
    if (Number(port) !== 0) {
      const probe = createServer();
      await new Promise((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(Number(port), host, resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    }
    // aws-ses-v2-local is CommonJS with `exports.default`.
    const server = await require('aws-ses-v2-local').default({ host, port: Number(port) });
    if (!server.listening) throw new Error(`the SES stand-in could not listen on ${host}:${port}`);
    return server.address().port;
  }
  if (kind === 'sqs') return startSqs();
  throw new Error(`unknown stand-in ${JSON.stringify(kind)}`);
}

// The parent is gone (closed the stack, or died): so is the stand-in.
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message?.usage !== undefined) process.send({ usage: message.usage, ...usage });
});
start().then(
  (boundPort) => process.send({ ready: boundPort }),
  (error) => {
    process.send({ failed: String(error?.stack ?? error) });
    process.exit(1);
  },
);
