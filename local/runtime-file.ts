import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { LocalStack } from './stack.js';

/**
 * `.local/runtime.json`: how to reach the running local stack (`npm start` writes it, removes it on stop), so
 * the operations CLI (`npm run cases -- --local …`) can act on it: endpoints, table, procedure ARN, public base
 * URL, addresses and the signing keys of this run; and the fault control's URL and token (`npm run faults`).
 * Local only: `.local/` is git-ignored and the keys are generated per run; the file is readable by its owner only.
 */
export const DEFAULT_RUNTIME_FILE = fileURLToPath(new URL('../.local/runtime.json', import.meta.url));

const url = z.string().url();
export const runtimeFileSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  region: z.string().min(1),
  endpoints: z.object({ dynamodb: url, ses: url, sqs: url, stepFunctions: url, pages: url }),
  /** The e-mail outbox and its dead-letter queue (`npm run cases -- outbox`, `redrive`). */
  outbox: z.object({ queueUrl: url, deadLetterQueueUrl: url }),
  tableName: z.string().min(1),
  procedureStateMachineArn: z.string().min(1),
  publicBaseUrl: url,
  mrpipsEmail: z.string().min(3),
  /** JSON, as VOIVODESHIP_ADMINS. */
  voivodeshipAdmins: z.string().min(2),
  /** JSON, as LINK_SIGNING_KEYS. */
  linkSigningKeys: z.string().min(2),
  /** JSON, as STATUS_LINK_KEYS (the CLI's e-mails carry status links). */
  statusLinkKeys: z.string().min(2),
  /** The fault control (`npm run faults`, local/faults-control.ts) and its bearer token, when the stack serves one. */
  faultControl: z.object({ url, token: z.string().min(16) }).optional(),
});
export type RuntimeFile = z.infer<typeof runtimeFileSchema>;

export function runtimeInfo(stack: LocalStack, pid = process.pid): RuntimeFile {
  return {
    version: 1,
    pid,
    startedAt: new Date().toISOString(),
    region: stack.procedureArn.split(':')[3] || 'eu-central-1',
    endpoints: { dynamodb: stack.urls.dynamodb, ses: stack.urls.inbox, sqs: stack.urls.sqs, stepFunctions: stack.urls.stepFunctions, pages: stack.urls.pages },
    outbox: { queueUrl: stack.outbox.queueUrl, deadLetterQueueUrl: stack.outbox.deadLetterQueueUrl },
    tableName: stack.config.TABLE_NAME,
    procedureStateMachineArn: stack.procedureArn,
    publicBaseUrl: stack.urls.pages,
    mrpipsEmail: stack.config.MRPIPS_EMAIL,
    voivodeshipAdmins: stack.config.VOIVODESHIP_ADMINS,
    linkSigningKeys: stack.config.LINK_SIGNING_KEYS,
    statusLinkKeys: stack.config.STATUS_LINK_KEYS,
    ...(stack.faultControl ? { faultControl: stack.faultControl } : {}),
  };
}

/** Writes the file atomically (a reader never sees half of it), owner-only. Returns its path. */
export async function writeRuntimeFile(stack: LocalStack, path = DEFAULT_RUNTIME_FILE): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(runtimeInfo(stack), null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return path;
}

/** Removes the file if this process wrote it (a newer stack's file is left alone). */
export async function removeRuntimeFile(path = DEFAULT_RUNTIME_FILE, pid = process.pid): Promise<void> {
  try {
    const current = runtimeFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (current.success && current.data.pid !== pid) return;
    await rm(path, { force: true });
  } catch {
    // missing or unreadable: nothing to remove
  }
}

/** Reads and checks the file; the error says what to do. */
export async function readRuntimeFile(path = DEFAULT_RUNTIME_FILE): Promise<RuntimeFile> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    throw new Error(`No local stack found: ${path} does not exist. Start it with \`npm start\` (it writes this file), or leave out --local to use AWS.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${path} is not JSON; restart the local stack (\`npm start\`).`);
  }
  const parsed = runtimeFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a runtime file of this version (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); restart the local stack.`);
  return parsed.data;
}

/** Whether the process that wrote the file still runs (a stale file after a crash points at nothing). */
export function writerIsAlive(file: Pick<RuntimeFile, 'pid'>): boolean {
  try {
    process.kill(file.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
