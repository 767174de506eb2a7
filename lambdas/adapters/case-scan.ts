import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { CaseRecord } from '../core/case.js';
import type { StepRecord } from '../core/step-record.js';

/**
 * Reads every case and step item of the table, page by page (a Scan filtered to `sk = CASE` and
 * `sk begins_with STEP#`). For operations and reporting only (the operations CLI): no Lambda scans, so this
 * lives apart from the case store, whose commands are exactly what the functions are granted.
 */
export interface ScannedCases {
  cases: CaseRecord[];
  steps: StepRecord[];
}

export async function scanCasesAndSteps(
  db: DynamoDBClient,
  tableName: string,
  onProgress?: (progress: { items: number; pages: number }) => void,
): Promise<ScannedCases> {
  const cases: CaseRecord[] = [];
  const steps: StepRecord[] = [];
  let start: Record<string, AttributeValue> | undefined;
  let pages = 0;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :case OR begins_with(sk, :step)',
        ExpressionAttributeValues: { ':case': { S: 'CASE' }, ':step': { S: 'STEP#' } },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    pages += 1;
    for (const item of out.Items ?? []) {
      const { pk: _pk, sk, appliedEventIds: _ids, ...rest } = unmarshall(item) as Record<string, unknown> & { sk: string };
      if (sk === 'CASE') cases.push(rest as unknown as CaseRecord);
      else steps.push(rest as unknown as StepRecord);
    }
    onProgress?.({ items: cases.length + steps.length, pages });
    start = out.LastEvaluatedKey;
  } while (start);
  return { cases, steps };
}
