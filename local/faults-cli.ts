/**
 * AWS faults on the running local stack, by hand: `npm run faults -- <command>` (local only; the control is
 * local/faults-control.ts, found through .local/runtime.json as `npm run cases -- --local` finds the stack).
 *
 *   reject-email <address>   SES rejects every message to the address (MessageRejected): a delivery failure on the case
 *   pause-sending            sending is paused for the SES account (AccountSendingPausedException): e-mail waits in
 *                            the outbox, then in its dead-letter queue
 *   timeout <function>       every invocation of a state machine's function hangs past its timeout (Sandbox.Timedout):
 *                            an incident
 *   list                     the faults in force
 *   clear                    lifts them all
 *
 * Options: --runtime-file PATH (or ZMIANA_SD_RUNTIME_FILE) instead of .local/runtime.json.
 * Exit codes: 0 done, 1 the stack cannot be reached or refused, 2 bad usage or input.
 */
import { parseArgs } from 'node:util';
import { describeIssues, faultRequestSchema, type ControlledFault, type FaultRequest } from './faults-control.js';
import { isEntryPoint } from './entry-point.js';
import { DEFAULT_RUNTIME_FILE, readRuntimeFile, writerIsAlive } from './runtime-file.js';
import { STATE_MACHINE_FUNCTIONS } from './state-machine-functions.js';

const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

const USAGE = `Usage: npm run faults -- <command> [--runtime-file PATH]

  reject-email <address>   SES rejects every message to the address (MessageRejected); the sender records
                           each on its case as a delivery failure (\`npm run cases -- --local show <caseId>\`;
                           a step waiting for that address is handed on with \`reassign\`)
  pause-sending            sending is paused for the SES account (AccountSendingPausedException); e-mail
                           waits in the outbox, then in its dead-letter queue (\`npm run cases -- --local outbox\`;
                           once cleared, \`redrive\` sends it)
  timeout <function>       every invocation of the function hangs past its timeout (Sandbox.Timedout): an
                           incident (\`npm run cases -- --local incidents\`; once cleared, \`retry\`);
                           one of: ${STATE_MACHINE_FUNCTIONS.join(', ')}
  list                     the faults in force
  clear                    lifts them all

Acts on the stack \`npm start\` runs (.local/runtime.json). Exit codes: 0 done, 1 failed, 2 bad usage.
`;

export interface FaultsCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}
class FailedError extends Error {}

type Command = { name: 'list' | 'clear' | 'help' } | { name: 'inject'; request: FaultRequest };

function parseCommand(argv: string[], env: FaultsCliIo['env']): { command: Command; runtimeFile: string } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { 'runtime-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const runtimeFile = parsed.values['runtime-file'] ?? env.ZMIANA_SD_RUNTIME_FILE ?? DEFAULT_RUNTIME_FILE;
  const [name, ...rest] = parsed.positionals;
  const expectArgs = (count: number, what: string) => {
    if (rest.length !== count) throw new UsageError(`${name} takes ${what}`);
  };
  if (parsed.values.help || name === undefined || name === 'help') return { command: { name: 'help' }, runtimeFile };
  if (name === 'list' || name === 'clear') {
    expectArgs(0, 'no arguments');
    return { command: { name }, runtimeFile };
  }
  const candidates: Record<string, () => unknown> = {
    'reject-email': () => (expectArgs(1, 'one address'), { fault: name, address: rest[0] }),
    'pause-sending': () => (expectArgs(0, 'no arguments'), { fault: name }),
    timeout: () => (expectArgs(1, 'one function name'), { fault: name, function: rest[0] }),
  };
  const candidate = candidates[name];
  if (!candidate) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  const request = faultRequestSchema.safeParse(candidate());
  if (!request.success) throw new UsageError(describeIssues(request.error));
  return { command: { name: 'inject', request: request.data }, runtimeFile };
}

/** The control's answer, or a FailedError / UsageError that says what went wrong. */
async function call(runtimeFile: string, method: 'GET' | 'POST' | 'DELETE', body?: FaultRequest): Promise<Record<string, unknown>> {
  const runtime = await readRuntimeFile(runtimeFile).catch((error: Error) => {
    throw new FailedError(error.message);
  });
  if (!writerIsAlive(runtime)) throw new FailedError(`The local stack that wrote ${runtimeFile} (process ${runtime.pid}) is not running any more. Start it with \`npm start\`.`);
  if (!runtime.faultControl) throw new FailedError(`The local stack that wrote ${runtimeFile} serves no fault control; restart it with \`npm start\`.`);
  let res: Response;
  try {
    res = await fetch(runtime.faultControl.url, {
      method,
      headers: { authorization: `Bearer ${runtime.faultControl.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new FailedError(`cannot reach the fault control at ${runtime.faultControl.url} (${(error as Error).cause ?? (error as Error).message}). Is the local stack running (\`npm start\`)?`);
  }
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status === 400) throw new UsageError(String(answer.error));
  if (!res.ok) throw new FailedError(`the fault control answered ${res.status}: ${String(answer.error ?? res.statusText)}`);
  return answer;
}

const line = (fault: ControlledFault) => `  #${fault.id}  ${fault.description}; fired ${fault.fired} time${fault.fired === 1 ? '' : 's'}\n`;

export async function main(argv: string[], io: Partial<FaultsCliIo> = {}): Promise<number> {
  const out = { stdout: (text: string) => void process.stdout.write(text), stderr: (text: string) => void process.stderr.write(text), env: process.env, ...io };
  try {
    const { command, runtimeFile } = parseCommand(argv, out.env);
    switch (command.name) {
      case 'help':
        out.stdout(USAGE);
        return EXIT.OK;
      case 'list': {
        const { faults } = (await call(runtimeFile, 'GET')) as { faults: ControlledFault[] };
        out.stdout(faults.length ? `Faults in force:\n${faults.map(line).join('')}` : 'No faults in force.\n');
        return EXIT.OK;
      }
      case 'clear': {
        const { lifted } = (await call(runtimeFile, 'DELETE')) as { lifted: ControlledFault[] };
        out.stdout(lifted.length ? `Lifted:\n${lifted.map(line).join('')}` : 'No faults were in force.\n');
        return EXIT.OK;
      }
      case 'inject': {
        const { fault } = (await call(runtimeFile, 'POST', command.request)) as { fault: ControlledFault };
        out.stdout(`Injected #${fault.id}: ${fault.description}.\nLift it with \`npm run faults -- clear\`.\n`);
        return EXIT.OK;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out.stderr(`error: ${error.message}\nRun \`npm run faults -- help\` for usage.\n`);
      return EXIT.USAGE;
    }
    out.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.FAILED;
  }
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
