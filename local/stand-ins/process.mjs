// One stand-in (dynalite or aws-ses-v2-local) in a process of its own, so that it has a CPU core and a heap
// of its own: under load the local stack is otherwise one event loop shared with the handlers it serves.
// Started by local/stand-ins/index.ts with `fork`; reports its port over IPC and exits with its parent.
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

async function start() {
  if (kind === 'dynamodb') {
    const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.listen(Number(port), host);
    return listen(server);
  }
  if (kind === 'ses') {
    // aws-ses-v2-local is CommonJS with `exports.default`.
    const server = await require('aws-ses-v2-local').default({ host, port: Number(port) });
    return listen(server);
  }
  throw new Error(`unknown stand-in ${JSON.stringify(kind)}`);
}

// The parent is gone (closed the stack, or died): so is the stand-in.
process.on('disconnect', () => process.exit(0));
start().then(
  (boundPort) => process.send({ ready: boundPort }),
  (error) => {
    process.send({ failed: String(error?.stack ?? error) });
    process.exit(1);
  },
);
