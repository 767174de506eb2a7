import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What each stand-in reports it has served (the benchmark's cost model). */
export interface StandInUsageByKind {
  dynamodb: StandInUsage;
  /** Nothing yet: zeros. */
  ses: StandInUsage;
  sqs: SqsUsage;
}

export type StandInKind = keyof StandInUsageByKind;

/** A stand-in for an AWS service running in a child process (local/stand-ins/process.mjs). */
export interface StandIn<K extends StandInKind = 'dynamodb' | 'ses'> {
  kind: K;
  port: number;
  pid: number;
  /** What the stand-in has served so far. */
  usage(): Promise<StandInUsageByKind[K]>;
  close(): Promise<void>;
}

/** DynamoDB's reads and writes, and the request units it bills for them. */
export interface StandInUsage {
  reads: number;
  writes: number;
  readUnits: number;
  writeUnits: number;
}

/** SQS's API requests by action (`SendMessage`, `ReceiveMessage`, …), and the requests it bills: one per 64 KB of payload. */
export interface SqsUsage {
  requests: Partial<Record<string, number>>;
  billedRequests: number;
  /** ReceiveMessage requests that returned no message (counted in `requests` and `billedRequests` too). */
  emptyReceives: number;
}

const PROCESS_FILE = fileURLToPath(new URL('./process.mjs', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/**
 * Starts dynalite ('dynamodb'), aws-ses-v2-local ('ses') or fauxqs ('sqs') in a process of its own. Each takes a
 * core and keeps its data (the table, the inbox, the queues) out of the stack's heap; the handlers reach them
 * over HTTP as before. `region`: where fauxqs puts a queue whose request names none (an unsigned one).
 */
export function startStandIn<K extends StandInKind>(kind: K, host: string, port: number, region?: string): Promise<StandIn<K>> {
  // No loader flags (tsx) for a plain .mjs child: it starts in a fraction of the time.
  const child = fork(PROCESS_FILE, [kind, host, String(port), ...(region ? [region] : [])], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the ${kind} stand-in did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`the ${kind} stand-in exited (${signal ?? `code ${code}`}) before it was ready`)));
    child.once('message', (message: { ready?: number; failed?: string }) => {
      if (message.failed !== undefined || message.ready === undefined) return fail(new Error(`the ${kind} stand-in failed to start: ${message.failed ?? JSON.stringify(message)}`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      resolve({ kind, port: message.ready, pid: child.pid!, usage: () => askUsage<StandInUsageByKind[K]>(child), close: () => stop(child) });
    });
  });
}

let nextUsageRequest = 1;

function askUsage<U>(child: ChildProcess): Promise<U> {
  const request = nextUsageRequest++;
  return new Promise((resolve, reject) => {
    const onMessage = (message: U & { usage?: number }) => {
      if (message.usage !== request) return;
      child.off('message', onMessage);
      const { usage: _, ...counts } = message;
      resolve(counts as U);
    };
    if (!child.connected) return reject(new Error('the stand-in process is gone'));
    child.on('message', onMessage);
    child.send({ usage: request });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Resident set size of a process in bytes (Linux /proc, 4 KiB pages; 0 where it cannot be read). */
export function residentBytes(pid: number): number {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return pages * 4096;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, in ms (Linux /proc, 100 ticks a second; 0 where it cannot be read). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
