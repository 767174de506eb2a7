import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/stack.js';

/** This process's children that are stand-ins (local/stand-ins/process.mjs), from /proc. */
function standInChildren(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('stand-ins/process.mjs')) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

const until = async (condition: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !condition() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
};

describe('the stand-ins in processes of their own', () => {
  it('run while the stack runs, report their memory and CPU, and are gone when it closes', async () => {
    // GIVEN a running stack
    const stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0 });
    try {
      // THEN dynalite, the SES stand-in and the SQS stand-in are three child processes, each with memory of its own
      expect(standInChildren()).toHaveLength(3);
      const memory = stack.residentMemory();
      expect(memory.byProcess.dynamodb).toBeGreaterThan(10 * 1024 * 1024);
      expect(memory.byProcess.ses).toBeGreaterThan(10 * 1024 * 1024);
      expect(memory.byProcess.sqs).toBeGreaterThan(10 * 1024 * 1024);
      expect(memory.total).toBe(memory.byProcess.stack + memory.byProcess.dynamodb + memory.byProcess.ses + memory.byProcess.sqs);
      expect((await fetch(`${stack.urls.inbox}/health-check`)).status).toBe(200);
      // (creating the table was one request; nothing has been read or written yet)
      expect(await stack.dynamodbUsage()).toEqual({ reads: 0, writes: 0, readUnits: 0, writeUnits: 0 });
    } finally {
      await stack.close();
    }
    // THEN closing the stack ends them
    await until(() => standInChildren().length === 0, 5_000);
    expect(standInChildren()).toEqual([]);
  });

  it('a stand-in that cannot start fails the stack with its reason, and the other one is stopped', async () => {
    // GIVEN the SES port is taken
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      // WHEN the stack starts on it
      const start = startLocalStack({ PAGES_PORT: 0, SES_PORT: taken, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0 });
      // THEN it fails naming the stand-in and the cause, and leaves no stand-in running
      await expect(start).rejects.toThrow(/the ses stand-in failed to start: .*EADDRINUSE/);
      await until(() => standInChildren().length === 0, 5_000);
      expect(standInChildren()).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
