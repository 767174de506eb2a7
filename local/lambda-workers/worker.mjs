// Bootstrap of a Lambda worker thread (local/lambda-workers/index.ts): the handlers are TypeScript, so the
// thread registers tsx's loader itself (a worker started under vitest has none) before loading them.
import { register } from 'tsx/esm/api';

register();
await import('./serve.ts');
