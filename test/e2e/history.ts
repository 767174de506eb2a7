import { GetExecutionHistoryCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { LocalStack } from '../../local/stack.js';

/** The history limit of a Standard execution on AWS (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
export const AWS_MAX_HISTORY_EVENTS = 25_000;

/**
 * How many history events each execution of a case has: the procedure's (named by the case id) and its steps'
 * children (`<caseId>-<STEP>-<round>`, and their retries), by execution name.
 */
export async function historyEventCounts(sfn: SFNClient, stack: LocalStack, caseId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const stateMachineArn of [stack.procedureArn, stack.procedureArn.replace(/:procedure$/, ':confirmation')]) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
      for (const execution of page.executions ?? []) {
        if (execution.name !== caseId && !execution.name!.startsWith(`${caseId}-`)) continue;
        counts[execution.name!] = await eventCount(sfn, execution.executionArn!);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return counts;
}

async function eventCount(sfn: SFNClient, executionArn: string): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: false }));
    count += page.events!.length;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}
