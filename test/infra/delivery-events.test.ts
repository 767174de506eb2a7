import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, synthesize, type Synthesized } from './synth.js';

/**
 * SES's delivery events (lib/email-sender.ts, lib/delivery-event-watch.ts): one configuration set that every
 * sender names and may send with, publishing delivery, bounce, complaint, reject and delay to the default
 * EventBridge bus, and a rule that hands this configuration set's events to record-delivery-event.
 */
let synth: Synthesized;
const logicalId = (construct: IConstruct): string => synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const configurationSetRef = () => ({ Ref: logicalId(synth.stack.sender.configurationSet) });
const recorder = () => synth.stack.functions.byName['record-delivery-event'];

beforeAll(() => {
  // GIVEN the app with default context, WHEN it is synthesized
  synth = synthesize({ allowPlaceholderAddresses: true });
});

describe('the configuration set', () => {
  it('is one, with reputation metrics, publishing delivery, bounce, complaint, reject and delivery delay to the default bus', () => {
    // THEN
    synth.template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    synth.template.hasResourceProperties('AWS::SES::ConfigurationSet', { ReputationOptions: { ReputationMetricsEnabled: true } });
    synth.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: configurationSetRef(),
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(['delivery', 'bounce', 'complaint', 'reject', 'deliveryDelay']),
        EventBridgeDestination: {
          EventBusArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
        },
      },
    });
  });

  it('is named to every function that sends mail (SES_CONFIGURATION_SET), and only to those', () => {
    // THEN
    const functions = resourcesOfType(synth.json, 'AWS::Lambda::Function');
    const named = functions.filter(([, fn]) => JSON.stringify(fn.Properties?.Environment?.Variables?.SES_CONFIGURATION_SET) === JSON.stringify(configurationSetRef()));
    const senders = functions.filter(([, fn]) => fn.Properties?.Environment?.Variables?.SENDER_EMAIL !== undefined);
    expect(senders.length).toBeGreaterThan(0);
    expect(named.map(([id]) => id).sort()).toEqual(senders.map(([id]) => id).sort());
  });

  it('is in the send grant of send-email (the only function that calls SES), beside the identities, for the sender address only', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(synth.stack.functions.byName['send-email'].role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'ses:SendEmail',
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':configuration-set/', configurationSetRef()]] },
            ]),
            Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@zmiana-sd.example.gov.pl' } },
          },
        ]),
      },
    });
  });
});

describe('DeliveryEventWatch', () => {
  it("routes SES's five event types of this configuration set to record-delivery-event, retrying for a day", () => {
    // THEN
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': ['Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Delivery Delayed'],
        detail: { mail: { tags: { 'ses:configuration-set': [configurationSetRef()] } } },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(recorder()), 'Arn'] }, Id: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } }],
    });
  });

  it('lets only this rule invoke record-delivery-event', () => {
    // THEN
    const permissions = resourcesOfType(synth.json, 'AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties?.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [logicalId(recorder()), 'Arn'] }),
    );
    expect(permissions.map(([, p]) => [p.Properties?.Principal, p.Properties?.SourceArn])).toEqual([['events.amazonaws.com', { 'Fn::GetAtt': [logicalId(synth.stack.deliveryEvents.rule), 'Arn'] }]]);
  });
});
