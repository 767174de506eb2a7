import { expect } from 'vitest';
import type { IncidentRecord } from '../../lambdas/core/incident.js';
import { runCli } from '../ops/run-cli.js';
import { readCase, type FaultWorld } from './play.js';

export type ListedIncident = Omit<IncidentRecord, 'taskToken'>;

/**
 * The operator at the operations CLI (`npm run cases -- --local …`) of a fault world, through its runtime file:
 * waits for an incident, checks what the CLI shows, lifts the fault, runs `retry <caseId>`.
 */
export function operatorAt(world: FaultWorld, runtimeFile: string) {
  const cli = (args: string[]) => runCli(['--local', '--runtime-file', runtimeFile, ...args]);

  /** `npm run cases -- incidents --json` on this stack. */
  async function waitingIncidents(): Promise<ListedIncident[]> {
    const run = await cli(['incidents', '--json']);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as ListedIncident[];
  }

  /** Waits for the one incident, checks it (and the table `incidents` prints), runs `fix`, then `retry <caseId>`. */
  async function retries(expected: Partial<IncidentRecord>, fix: () => unknown, waitMs = 15_000): Promise<ListedIncident> {
    await expect.poll(async () => (await waitingIncidents()).length, { timeout: waitMs }).toBe(1);
    const [incident] = await waitingIncidents();
    expect(incident).toMatchObject(expected);
    expect(JSON.stringify(incident)).not.toContain('taskToken');
    // The incident is recorded first, then the case is held (each write converges on a retry of open-incident).
    await expect.poll(async () => (await readCase(world, incident!.caseId)).status, { timeout: 5_000 }).toBe('INCIDENT');
    const table = await cli(['incidents']);
    for (const shown of [incident!.caseId, incident!.state, incident!.error]) expect(table.stdout).toContain(shown);
    await fix();
    const run = await cli(['retry', incident!.caseId.toLowerCase(), '--by', 'operator@mrpips.gov.pl']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Retried ${incident!.state} of ${incident!.caseId} (failed with ${incident!.error}); the case continues from there.`);
    expect(run.stdout).toContain('Case status: IN_PROGRESS');
    expect((await cli(['incidents'])).stdout).toBe('No incidents wait for a decision.\n');
    return incident!;
  }

  return { cli, waitingIncidents, retries };
}
