import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The partition key of the case table (lib/case-table.ts): what its grants' `dynamodb:LeadingKeys` are. */
export const CASE_PARTITION_KEY = 'pk';

/** The case table as lib/case-table.ts deploys its keys (`pk`/`sk`, on demand), in the DynamoDB stand-in. */
export async function createCaseTable(db: DynamoDBClient, tableName: string): Promise<void> {
  await db.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: CASE_PARTITION_KEY, AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: CASE_PARTITION_KEY, KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }),
  );
}
