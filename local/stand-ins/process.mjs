// One stand-in (dynalite or aws-ses-v2-local) in a process of its own, so that it has a CPU core and a heap
// of its own: under load the local stack is otherwise one event loop shared with the handlers it serves.
// Started by local/stand-ins/index.ts with `fork`; reports its port over IPC and exits with its parent.
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, host, port] = process.argv.slice(2);

function listen(server) {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve(server.address().port);
    server.once('error', reject);
    server.once('listening', () => resolve(server.address().port));
  });
}

/** Reads and writes served, and the request units DynamoDB would bill for them (the benchmark's cost model). */
const usage = { reads: 0, writes: 0, readUnits: 0, writeUnits: 0 };

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
