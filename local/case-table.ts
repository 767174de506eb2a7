import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The case table as lib/case-table.ts deploys its keys (`pk`/`sk`, on demand), in the DynamoDB stand-in. */
export async function createCaseTable(db: DynamoDBClient, tableName: string): Promise<void> {
  await db.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }),
  );
}
