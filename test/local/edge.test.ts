import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STRICT_TRANSPORT_SECURITY } from '../../lambdas/core/edge.js';
import { startLocalEdge, type LocalEdge } from '../../local/edge.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { notificationFields } from '../e2e/participants.js';

// The local CloudFront + WAF (local/edge.ts) in front of the pages server, and the page functions behind it refusing
// whatever does not come through it. Clients are told apart by their source address: the whole of 127.0.0.0/8 is
// loopback, so each client binds its own 127.0.0.x.

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(url: string, options: { method?: string; from?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', localAddress: options.from ?? '127.0.0.1', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const postNotification = (url: string, from: string, headers: Record<string, string> = {}, hidden: Record<string, string> = {}) =>
  send(`${url}/zgloszenie`, { method: 'POST', from, headers: { ...FORM, ...headers }, body: new URLSearchParams({ ...hidden, ...notificationFields() }).toString() });

/** Opens the form from `from` as a browser does (its submission id and form token); the result posts it from there. */
async function openForm(url: string, from: string, headers: Record<string, string> = {}): Promise<() => Promise<Answer>> {
  const page = await send(`${url}/zgloszenie`, { from, headers });
  expect(page.status).toBe(200);
  const hidden = (name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(page.body)![1]!;
  return () => postNotification(url, from, headers, { submissionId: hidden('submissionId'), formToken: hidden('formToken') });
}

describe('the local edge model (CloudFront and WAF) over any origin', () => {
  let origin: Server;
  let edge: LocalEdge;
  let received: { method: string; path: string; headers: IncomingHttpHeaders }[];
  let clock = 0;
  const WINDOW_SECONDS = 60;

  beforeAll(async () => {
    origin = createServer((req, res) => {
      received.push({ method: req.method!, path: req.url!, headers: req.headers });
      req.resume();
      // API Gateway's own answer of a failed integration: no security headers of its own.
      if (req.url === '/awaria') res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    edge = await startLocalEdge({
      origin: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
      originSecret: 'the-origin-secret',
      formPostsPerClient: 2,
      windowSeconds: WINDOW_SECONDS,
      host: '127.0.0.1',
      port: 0,
      now: () => clock,
    });
  });
  afterAll(() => {
    for (const server of [edge.server, origin]) {
      server.close();
      server.closeAllConnections();
    }
  });
  beforeEach(() => {
    received = [];
    clock += 10 * WINDOW_SECONDS * 1000; // every test starts with no form POSTs in the window
  });

  it('GIVEN a client sending its own CloudFront-Viewer-Address and origin-verification header THEN the origin gets the socket\'s address and the edge\'s secret instead, and no other header', async () => {
    // WHEN
    await send(`${edge.url}/sprawa`, { from: '127.0.0.7', headers: { 'cloudfront-viewer-address': '198.51.100.7:443', 'x-origin-verification': 'guess', cookie: 'a=1', 'x-forwarded-for': '198.51.100.8', 'user-agent': 'test' } });
    // THEN
    const { headers } = received[0]!;
    expect(headers['cloudfront-viewer-address']).toMatch(/^127\.0\.0\.7:\d+$/);
    expect(headers['x-origin-verification']).toBe('the-origin-secret');
    expect(headers['user-agent']).toBe('test');
    expect(headers).not.toHaveProperty('cookie');
    expect(headers).not.toHaveProperty('x-forwarded-for');
  });

  it('GIVEN one client over the limit of form POSTs in the window THEN it gets WAF\'s 429 page without reaching the origin, while another client, GETs and other POSTs still pass', async () => {
    // WHEN
    const first = [await postNotification(edge.url, '127.0.0.2'), await postNotification(edge.url, '127.0.0.2')];
    const over = await postNotification(edge.url, '127.0.0.2');
    const other = await postNotification(edge.url, '127.0.0.3');
    const get = await send(`${edge.url}/zgloszenie`, { from: '127.0.0.2' });
    const confirmation = await send(`${edge.url}/potwierdzenie`, { method: 'POST', from: '127.0.0.2', headers: FORM, body: 'a=1' });
    // THEN
    expect(first.map((a) => a.status)).toEqual([200, 200]);
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBe('300');
    expect(over.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    expect(over.body).toContain('Zbyt wiele żądań');
    expect([other.status, get.status, confirmation.status]).toEqual([200, 200, 200]);
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /zgloszenie', 'POST /zgloszenie', 'POST /zgloszenie', 'GET /zgloszenie', 'POST /potwierdzenie']);
  });

  it('GIVEN a client refused WHEN the window has passed since its POSTs THEN it posts again; the refused POSTs counted too, as WAF counts them', async () => {
    // GIVEN
    await postNotification(edge.url, '127.0.0.4');
    await postNotification(edge.url, '127.0.0.4');
    clock += (WINDOW_SECONDS / 2) * 1000;
    expect((await postNotification(edge.url, '127.0.0.4')).status).toBe(429);
    // WHEN half a window on, the first two are out of it, the refused one is not
    clock += (WINDOW_SECONDS / 2) * 1000 + 1;
    const again = await postNotification(edge.url, '127.0.0.4');
    const refused = await postNotification(edge.url, '127.0.0.4');
    // THEN
    expect([again.status, refused.status]).toEqual([200, 429]);
  });

  it('GIVEN the origin answers without security headers (API Gateway\'s 500) THEN the response-headers policy adds HSTS and the pages\' headers', async () => {
    // WHEN
    const failed = await send(`${edge.url}/awaria`);
    // THEN
    expect(failed.status).toBe(500);
    expect(failed.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    expect(failed.headers['x-content-type-options']).toBe('nosniff');
    expect(failed.headers['cache-control']).toBe('no-store');
  });
});

describe('the local stack behind its edge', () => {
  let stack: LocalStack;
  let sfn: SFNClient;
  const executions = async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.procedureArn }))).executions!.length;

  beforeAll(async () => {
    stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, FORM_POSTS_PER_CLIENT: 2, NOTIFICATIONS_PER_HOUR_PER_IP: 1 });
    sfn = new SFNClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.stepFunctions });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('GIVEN one client over the form\'s rate THEN it is refused before any function runs, while another client still submits its notification', async () => {
    // GIVEN
    await postNotification(stack.urls.pages, '127.0.0.2');
    await postNotification(stack.urls.pages, '127.0.0.2');
    const [refusedForm, otherForm] = [await openForm(stack.urls.pages, '127.0.0.2'), await openForm(stack.urls.pages, '127.0.0.3')];
    const invocations = stack.functionStats()['notification-form']!.invocations;
    // WHEN
    const refused = await refusedForm();
    const other = await otherForm();
    // THEN
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Zbyt wiele żądań');
    expect(stack.functionStats()['notification-form']!.invocations).toBe(invocations + 1);
    expect(other.status).toBe(201);
    expect(other.body).toMatch(/ZSD-\d{4}-\d{5}/);
  });

  it('GIVEN a client that sends a CloudFront-Viewer-Address of its own THEN the form counts its real address: a second notification within the hour is refused', async () => {
    // WHEN (NOTIFICATIONS_PER_HOUR_PER_IP is 1)
    const first = await (await openForm(stack.urls.pages, '127.0.0.5', { 'cloudfront-viewer-address': '198.51.100.1:443' }))();
    const second = await (await openForm(stack.urls.pages, '127.0.0.5', { 'cloudfront-viewer-address': '198.51.100.2:443' }))();
    // THEN
    expect(first.status).toBe(201);
    expect(second.status).toBe(429);
    expect(second.body).toContain('Zbyt wiele zgłoszeń');
  });

  it.each([
    ['without the origin-verification header', {}],
    ['with a guessed origin-verification value', { 'x-origin-verification': 'guess', 'cloudfront-viewer-address': '127.0.0.6:1234' }],
  ])('GIVEN a request straight to the origin (the API\'s own endpoint) %s THEN a 403 page with HSTS, and nothing is created', async (_, headers: Record<string, string>) => {
    // GIVEN
    const before = await executions();
    // WHEN
    const page = await send(`${stack.urls.origin}/zgloszenie`, { headers });
    const post = await postNotification(stack.urls.origin, '127.0.0.6', headers);
    // THEN
    for (const answer of [page, post]) {
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('Dostęp zabroniony');
      expect(answer.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    }
    expect(await executions()).toBe(before);
  });

  it('GIVEN every kind of answer through the edge THEN each carries HSTS: a page, a link problem, a 405, API Gateway\'s 404 and WAF\'s 429', async () => {
    // WHEN
    const answers = [
      await send(`${stack.urls.pages}/zgloszenie`, { from: '127.0.0.8' }),
      await send(`${stack.urls.pages}/potwierdzenie?c=ZSD-2026-00001`, { from: '127.0.0.8' }),
      await send(`${stack.urls.pages}/sprawa`, { method: 'DELETE', from: '127.0.0.8' }),
      await send(`${stack.urls.pages}/nie-ma`, { from: '127.0.0.8' }),
      await postNotification(stack.urls.pages, '127.0.0.2'),
    ];
    // THEN
    expect(answers.map((a) => a.status)).toEqual([200, expect.any(Number), 405, 404, 429]);
    expect(answers[1]!.status).toBeGreaterThanOrEqual(400);
    for (const answer of answers) expect(answer.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
  });
});
