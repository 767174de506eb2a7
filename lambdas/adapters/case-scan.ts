import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { CaseRecord } from '../core/case.js';
import type { IncidentRecord } from '../core/incident.js';
import type { StepRecord } from '../core/step-record.js';

/**
 * Reads every case, step and incident item of the table, page by page (a Scan filtered to `sk = CASE`,
 * `sk begins_with STEP#` and `sk begins_with INCIDENT#`; incidents without their task tokens). For operations and reporting only (the operations CLI): no Lambda scans, so this
 * lives apart from the case store, whose commands are exactly what the functions are granted.
 */
export interface ScannedCases {
  cases: CaseRecord[];
  steps: StepRecord[];
  incidents: Omit<IncidentRecord, 'taskToken'>[];
}

export async function scanCasesAndSteps(
  db: DynamoDBClient,
  tableName: string,
  onProgress?: (progress: { items: number; pages: number }) => void,
): Promise<ScannedCases> {
  const cases: CaseRecord[] = [];
  const steps: StepRecord[] = [];
  const incidents: Omit<IncidentRecord, 'taskToken'>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  let pages = 0;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :case OR begins_with(sk, :step) OR begins_with(sk, :incident)',
        ExpressionAttributeValues: { ':case': { S: 'CASE' }, ':step': { S: 'STEP#' }, ':incident': { S: 'INCIDENT#' } },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    pages += 1;
    for (const item of out.Items ?? []) {
      const { pk: _pk, sk, appliedEventIds: _ids, ...rest } = unmarshall(item) as Record<string, unknown> & { sk: string };
      if (sk === 'CASE') cases.push(rest as unknown as CaseRecord);
      else if (sk.startsWith('INCIDENT#')) {
        const { taskToken: _token, ...incident } = rest;
        incidents.push(incident as unknown as IncidentRecord);
      } else steps.push(rest as unknown as StepRecord);
    }
    onProgress?.({ items: cases.length + steps.length + incidents.length, pages });
    start = out.LastEvaluatedKey;
  } while (start);
  return { cases, steps, incidents };
}
