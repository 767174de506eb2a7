import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AWS_ERRORS, sesMessageRejected, sesRecipient, type FaultHandle, type FaultLayer, type FaultRule } from './faults.js';
import { STATE_MACHINE_FUNCTIONS, type StateMachineFunction } from './state-machine-functions.js';

/**
 * A person's hand on the fault layer of the running local stack (`npm start`; `npm run faults -- …`,
 * local/faults-cli.ts): AWS faults injected and lifted while cases run, so what they cause can be tried by hand
 * with `npm run cases -- --local`: a delivery failure on a case (`show`, then `reassign`), e-mail in the outbox's
 * dead-letter queue (`outbox`, then `redrive`), an incident (`incidents`, then `retry`). Local only: an HTTP endpoint on 127.0.0.1
 * whose URL and per-run bearer token are in .local/runtime.json (owner-only), so neither another user of the
 * machine nor a web page in a browser can drive it.
 *
 *   GET    /faults          the faults in force, each with how often it has fired
 *   POST   /faults  JSON    injects one (faultRequestSchema); 201 with it
 *   DELETE /faults          lifts them all
 */
export const faultRequestSchema = z.discriminatedUnion(
  'fault',
  [
    /**
     * SES rejects every message to one address (MessageRejected, as for an address SES's sandbox has not verified):
     * the outbox's sender records it on the message's case as a delivery failure.
     */
    z.strictObject({ fault: z.literal('reject-email'), address: z.string().trim().toLowerCase().pipe(z.email({ error: 'address must be an e-mail address' })) }),
    /** Sending is paused for the whole SES account (AccountSendingPausedException): e-mail stays in the outbox, then its dead-letter queue. */
    z.strictObject({ fault: z.literal('pause-sending') }),
    /** Every invocation of a state machine's function hangs until it times out (Sandbox.Timedout). */
    z.strictObject({
      fault: z.literal('timeout'),
      function: z.enum(STATE_MACHINE_FUNCTIONS, { error: `function must be one the state machines invoke: ${STATE_MACHINE_FUNCTIONS.join(', ')}` }),
    }),
  ],
  { error: 'fault must be one of: reject-email, pause-sending, timeout' },
);
export type FaultRequest = z.infer<typeof faultRequestSchema>;

/** A fault in force, as the control lists it. */
export interface ControlledFault {
  id: number;
  request: FaultRequest;
  /** What it does, in a sentence. */
  description: string;
  /** Requests or invocations it has failed so far. */
  fired: number;
}

export interface FaultControl {
  url: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4096;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Issues as one line: `address: address must be an e-mail address`. */
export const describeIssues = (error: z.ZodError) => error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

/** Starts the control of `faults` on 127.0.0.1 (any free port); `timeouts` are the functions' timeouts, seconds. */
export async function startFaultControl(faults: FaultLayer, timeouts: Record<StateMachineFunction, number>): Promise<FaultControl> {
  const token = randomBytes(24).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const inForce: { id: number; request: FaultRequest; description: string; handle: FaultHandle }[] = [];
  // Invocations a 'timeout' holds go on when it is lifted; being past their timeout by then, they are dropped.
  const releases: (() => void)[] = [];
  let nextId = 1;

  const ruleOf = (request: FaultRequest): { rule: FaultRule; description: string } => {
    switch (request.fault) {
      case 'reject-email':
        return {
          rule: { service: 'ses', operation: 'SendEmail', match: sesRecipient(request.address), fault: sesMessageRejected(request.address), times: Infinity },
          description: `SES rejects every message to ${request.address} (MessageRejected); each is recorded on its case as a delivery failure`,
        };
      case 'pause-sending':
        return { rule: { service: 'ses', operation: 'SendEmail', fault: AWS_ERRORS.sesAccountSendingPaused, times: Infinity }, description: 'sending is paused for the SES account (AccountSendingPausedException); e-mail waits in the outbox, then in its dead-letter queue' };
      case 'timeout': {
        const held = new Promise<void>((resolve) => releases.push(resolve));
        return {
          rule: { service: 'lambda', operation: request.function, fault: { kind: 'hold', release: held }, times: Infinity },
          description: `every invocation of ${request.function} hangs and fails after its ${timeouts[request.function]} s timeout (Sandbox.Timedout)`,
        };
      }
    }
  };

  const listed = (): ControlledFault[] => inForce.map(({ id, request, description, handle }) => ({ id, request, description, fired: handle.injected }));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const authorization = Buffer.from(req.headers.authorization ?? '');
    if (authorization.length !== expected.length || !timingSafeEqual(authorization, expected)) throw new HttpError(401, 'missing or wrong bearer token (it is in the runtime file)');
    if (new URL(req.url ?? '/', 'http://control').pathname !== '/faults') throw new HttpError(404, 'no such resource; the control serves /faults');
    if (req.method === 'GET') return send(res, 200, { faults: listed() });
    if (req.method === 'DELETE') {
      const lifted = listed();
      faults.clear();
      inForce.length = 0;
      for (const release of releases.splice(0)) release();
      return send(res, 200, { lifted });
    }
    if (req.method !== 'POST') throw new HttpError(405, 'use GET, POST or DELETE');
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'the body must be application/json');
    const parsed = faultRequestSchema.safeParse(await readJson(req));
    if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
    const { rule, description } = ruleOf(parsed.data);
    const added = { id: nextId++, request: parsed.data, description, handle: faults.add({ ...rule, label: description }) };
    inForce.push(added);
    return send(res, 201, { fault: { id: added.id, request: added.request, description, fired: 0 } satisfies ControlledFault });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) send(res, error.status, { error: error.message });
      else send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/faults`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of releases.splice(0)) release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body may have at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body must be JSON');
  }
}
