import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { runCli } from '../ops/run-cli.js';
import { Inbox, confirmThroughLink, deliveryEntries, notificationFields, notifyAndConfirmContact, statusLinkIn } from './participants.js';

/**
 * SES's mailbox simulator, used as one would on AWS: participants whose addresses are the simulator's, the
 * events SES publishes for them (local/ses-simulator.ts) going through record-delivery-event, and what MRPiPS,
 * the status page and the operations CLI then show.
 */
const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const JST = 'anna.kowalska@mops.przykladowo.pl';
const COMPLAINT = 'complaint@simulator.amazonses.com';
const SUPPRESSED = 'suppressionlist@simulator.amazonses.com';
const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

describe('an administrator who complains (complaint@) and a supplier on the suppression list (suppressionlist@)', () => {
  let stack: LocalStack;
  let inbox: Inbox;
  let store: CaseStore;
  let dir: string;
  let runtimeFile: string;

  beforeAll(async () => {
    // GIVEN the voivodeships' administrators at SES's complaint mailbox
    const admins = JSON.stringify(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, COMPLAINT])));
    stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600, VOIVODESHIP_ADMINS: admins });
    inbox = new Inbox(stack.urls.inbox);
    store = new CaseStore(new DynamoDBClient({ ...clientConfig, endpoint: stack.urls.dynamodb }), stack.config.TABLE_NAME);
    dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-delivery-'));
    runtimeFile = await writeRuntimeFile(stack, join(dir, 'runtime.json'));
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[]) => runCli(['--local', '--runtime-file', runtimeFile, ...args]);

  it("records the supplier's bounces without touching the JST's step; the complaint stops the administrator's step until MRPiPS reassigns it", async () => {
    // GIVEN a case whose new supplier's contact is on the suppression list, played up to step c
    const fields = notificationFields({ 'newSd.contactEmail': SUPPRESSED });
    const caseId = await notifyAndConfirmContact(stack.urls.form, inbox, fields);
    expect((await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']), { decision: 'WITH_MIGRATION', note: 'Uzgodniono.' })).status).toBe(200);
    expect(
      (await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']), {
        'newCollections.0.newCollectionCode': `N${fields['areas.0.oldCollectionCode']}`,
        'newCollections.1.newCollectionCode': `N${fields['areas.1.oldCollectionCode']}`,
      })).status,
    ).toBe(200);
    const deactivation = await inbox.take(JST, [caseId, 'Deaktywacja dotychczasowego SD']);
    expect(deactivation.destination.cc).toEqual([]);
    await inbox.take(SUPPRESSED, [caseId, 'Deaktywacja dotychczasowego SD — informacja dla nowego dostawcy SD']);

    // WHEN SES reports the supplier's messages as bounced (Permanent/Suppressed)
    await stack.sesEvents.settled();
    // THEN each bounce is recorded: the codes notice and the supplier's own message about step b, neither tagged with the JST's step (which is not marked)
    const supplierBounces = deliveryEntries(await store.getTimeline(caseId), 'EMAIL_BOUNCED', SUPPRESSED);
    expect(supplierBounces.every((e) => e.details?.kind === 'Permanent/Suppressed')).toBe(true);
    expect(supplierBounces.map((e) => [e.step ?? 'no step', e.details?.mail]).sort()).toEqual([
      ['no step', 'applied:NEW_COLLECTIONS.1'],
      ['no step', 'supplier:OLD_SD_DEACTIVATED.1:0'],
    ]);
    expect((await store.getStep(caseId, 'OLD_SD_DEACTIVATED.1'))?.undeliverable).toBeUndefined();
    // (what is still in the outbox counts too)
    await stack.outbox.settled();
    expect((await inbox.to(MRPIPS, caseId)).filter((e) => e.subject.includes('nie można doręczyć'))).toEqual([]);

    // WHEN the JST confirms step b and the administrator's request (step c) is delivered, then complained about
    expect((await confirmThroughLink(deactivation, { deactivatedOn: new Date().toISOString().slice(0, 10), confirmed: 'tak' })).status).toBe(200);
    await inbox.take(COMPLAINT, [caseId, 'Deaktywacja urzędników i jednostki']);
    const told = await inbox.take(MRPIPS, [caseId, 'nie można doręczyć']);

    // THEN the delivery and the complaint are on the timeline, the step is marked, MRPiPS has the command to fix it
    const timeline = await store.getTimeline(caseId);
    expect(deliveryEntries(timeline, 'EMAIL_DELIVERED', COMPLAINT)[0]).toMatchObject({ step: 'MZT_DEACTIVATED.1' });
    expect(deliveryEntries(timeline, 'EMAIL_COMPLAINT', COMPLAINT)[0]).toMatchObject({ step: 'MZT_DEACTIVATED.1', details: { kind: 'abuse' } });
    expect((await store.getStep(caseId, 'MZT_DEACTIVATED.1'))?.undeliverable).toMatchObject({ recipient: COMPLAINT, event: 'Complaint abuse' });
    expect(told.body.text).toContain(`npm run cases -- reassign ${caseId} MZT_DEACTIVATED.1`);
    expect(told.body.text).toContain(COMPLAINT);
    // AND the CLI shows it, with the delivery events in the timeline
    const shown = await cli(['show', caseId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`${COMPLAINT} (UNDELIVERABLE: Complaint abuse)`);
    expect(shown.stdout).toContain('EMAIL_COMPLAINT');
    expect(shown.stdout).toContain('EMAIL_BOUNCED');

    // WHEN MRPiPS reassigns the step to a reachable address
    const colleague = 'administrator.zastepczy@uw.local';
    const reassigned = await cli(['reassign', caseId, 'MZT_DEACTIVATED.1', colleague]);
    expect(reassigned.code, reassigned.stderr).toBe(0);

    // THEN the colleague has the link, and neither the CLI nor the status page reports the step undeliverable
    const request = await inbox.take(colleague, [caseId, 'Deaktywacja urzędników i jednostki']);
    expect((await cli(['show', caseId])).stdout).not.toContain('UNDELIVERABLE');
    const page = await (await fetch(statusLinkIn(request))).text();
    expect(page).toContain(colleague);
    expect(page).not.toContain('Wiadomości na ten adres nie można doręczyć.');
  });
});
