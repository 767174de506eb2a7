import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * The attribute DynamoDB time to live reads (epoch seconds). Only the notification form's submission
 * items (SUBMISSION#…) and rate-limit counters (LIMIT#…) carry it (lambdas/adapters/case-store.ts);
 * cases, steps, collections and counters never do, so they are kept.
 */
export const CASE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * The single DynamoDB table of cases (generic pk/sk design, see lambdas/adapters).
 * It is the system of record: point-in-time recovery, encryption at rest with the
 * AWS managed KMS key (aws/dynamodb; no key grants needed), deletion protection,
 * and the table survives stack deletion. Expired items (CASE_TTL_ATTRIBUTE) are removed
 * by DynamoDB itself, so no function needs DeleteItem.
 */
export class CaseTable extends Construct {
  public readonly table: Table;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: CASE_TTL_ATTRIBUTE,
    });
  }
}
