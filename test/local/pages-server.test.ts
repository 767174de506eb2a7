import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toPageRequest } from '../../lambdas/adapters/http.js';
import { LINK_PAGE_ROUTES, type LinkPageRoute } from '../../lib/link-page-routes.js';
import { passesAsText, selectRoute, startPagesServer, type PageHandlers } from '../../local/pages-server.js';

/** The pages server in front of handlers that record the event they get and answer what a test sets. */
describe('the local pages server answers as API Gateway (HTTP API, payload 2.0) does', () => {
  let server: Server;
  let url: string;
  let events: APIGatewayProxyEventV2[];
  let answer: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  const recording = async (event: APIGatewayProxyEventV2) => {
    events.push(event);
    return answer(event);
  };
  const handlers: PageHandlers = { 'notification-form': recording, 'confirmation-links': recording, 'case-status': recording };

  beforeAll(async () => {
    ({ server, url } = await startPagesServer(handlers, '127.0.0.1', 0));
  });
  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });
  beforeEach(() => {
    events = [];
    answer = async () => ({ statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: 'strona' });
  });

  const expectGatewayAnswer = async (res: Response, status: number, message: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(JSON.stringify({ message }));
  };

  describe('routes (lib/link-page-routes.ts)', () => {
    it('answers a path without a route with API Gateway\'s own 404, reaching no handler', async () => {
      for (const path of ['/nie-ma', '/Sprawa', '/favicon.ico']) await expectGatewayAnswer(await fetch(`${url}${path}`), 404, 'Not Found');
      await expectGatewayAnswer(await fetch(`${url}/nie-ma`, { method: 'POST', body: 'a=1' }), 404, 'Not Found');
      expect(events).toEqual([]);
    });

    it('hands every method of a page path to its function, with the route key API Gateway sets', async () => {
      // WHEN
      for (const [method, path] of [['GET', '/zgloszenie'], ['POST', '/zgloszenie'], ['HEAD', '/'], ['POST', '/'], ['PUT', '/potwierdzenie'], ['DELETE', '/sprawa'], ['OPTIONS', '/sprawa'], ['PATCH', '/zgloszenie']]) {
        const res = await fetch(`${url}${path}?lang=en`, { method });
        expect(res.status, `${method} ${path}`).toBe(200);
      }

      // THEN the POST on the form's paths has a route of its own (throttled harder), every other method the path's ANY route
      expect(events.map((e) => [e.requestContext.http.method, e.rawPath, e.routeKey, e.requestContext.routeKey, e.rawQueryString])).toEqual([
        ['GET', '/zgloszenie', 'ANY /zgloszenie', 'ANY /zgloszenie', 'lang=en'],
        ['POST', '/zgloszenie', 'POST /zgloszenie', 'POST /zgloszenie', 'lang=en'],
        ['HEAD', '/', 'ANY /', 'ANY /', 'lang=en'],
        ['POST', '/', 'POST /', 'POST /', 'lang=en'],
        ['PUT', '/potwierdzenie', 'ANY /potwierdzenie', 'ANY /potwierdzenie', 'lang=en'],
        ['DELETE', '/sprawa', 'ANY /sprawa', 'ANY /sprawa', 'lang=en'],
        ['OPTIONS', '/sprawa', 'ANY /sprawa', 'ANY /sprawa', 'lang=en'],
        ['PATCH', '/zgloszenie', 'ANY /zgloszenie', 'ANY /zgloszenie', 'lang=en'],
      ]);
    });

    it('selects the route naming the method over ANY, and answers a method without a route with the 404', () => {
      // GIVEN a table where one path has only method routes
      const routes: LinkPageRoute[] = [
        { path: '/a', methods: ['GET', 'HEAD'], target: 'case-status' },
        { path: '/b', methods: ['ANY'], target: 'case-status' },
        { path: '/b', methods: ['POST'], target: 'notification-form' },
      ];

      // THEN
      expect(selectRoute(routes, 'GET', '/a')).toEqual({ routeKey: 'GET /a', target: 'case-status' });
      expect(selectRoute(routes, 'PUT', '/a')).toBeUndefined();
      expect(selectRoute(routes, 'POST', '/b')).toEqual({ routeKey: 'POST /b', target: 'notification-form' });
      expect(selectRoute(routes, 'GET', '/b')).toEqual({ routeKey: 'ANY /b', target: 'case-status' });
      expect(selectRoute(LINK_PAGE_ROUTES, 'GET', '/robots.txt')).toBeUndefined();
    });
  });

  describe('request bodies as HTTP API sends them', () => {
    const form = 'a=%C5%BC%C3%B3%C5%82%C4%87&b=2';

    it.each([
      ['application/x-www-form-urlencoded', true],
      ['application/x-www-form-urlencoded; charset=UTF-8', true],
      ['multipart/form-data; boundary=x', true],
      ['application/octet-stream', true],
      ['application/vnd.api+json', true],
      ['application/json', false],
      ['Application/JSON; charset=utf-8', false],
      ['application/xml', false],
      ['application/javascript', false],
      ['text/plain;charset=UTF-8', false],
      ['text/html', false],
    ])('%s: base64-encoded %s', async (contentType, encoded) => {
      // WHEN
      await fetch(`${url}/zgloszenie`, { method: 'POST', headers: { 'content-type': contentType }, body: form });

      // THEN
      const [event] = events;
      expect(passesAsText(contentType)).toBe(!encoded);
      expect(event!.isBase64Encoded).toBe(encoded);
      expect(event!.body).toBe(encoded ? Buffer.from(form).toString('base64') : form);
      // and the handlers' adapter reads the body that was sent either way
      expect(toPageRequest(event!).body).toBe(form);
    });

    it('base64-encodes a body without a content type, and sends no body field for a request without one', async () => {
      // WHEN
      await fetch(`${url}/zgloszenie`, { method: 'POST', body: new Uint8Array(Buffer.from(form)) });
      await fetch(`${url}/zgloszenie`);

      // THEN
      expect(events[0]!.headers['content-type']).toBeUndefined();
      expect(events[0]).toMatchObject({ isBase64Encoded: true, body: Buffer.from(form).toString('base64') });
      expect(events[1]!.isBase64Encoded).toBe(false);
      expect(events[1]).not.toHaveProperty('body');
    });
  });

  describe('limits', () => {
    it('refuses a body over HTTP API\'s 10 MB with its own 413, reaching no handler; 10 MB itself passes', async () => {
      // WHEN
      const over = await fetch(`${url}/zgloszenie`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a'.repeat(10 * 1024 * 1024 + 1) });

      // THEN
      expect(over.status).toBe(413);
      expect(over.headers.get('content-type')).toBe('text; charset=utf-8');
      expect(await over.text()).toBe('HTTP content length exceeded 10485760 bytes.');
      expect(events).toEqual([]);

      // WHEN
      const at = await fetch(`${url}/zgloszenie`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a'.repeat(10 * 1024 * 1024) });

      // THEN
      expect(at.status).toBe(200);
      expect(events).toHaveLength(1);
      expect(events[0]!.body).toHaveLength(10 * 1024 * 1024);
    });

    it('answers a function response over Lambda\'s 6 MB payload limit as a failed integration (500); one under it is sent', async () => {
      // GIVEN a function whose answer is as large as a request asks
      answer = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(Number(event.rawQueryString.slice(2))) });

      // WHEN / THEN the serialized response counts (the body and the rest of the object): 6291556 bytes at most
      await expectGatewayAnswer(await fetch(`${url}/sprawa?n=${6_291_556}`), 500, 'Internal Server Error');
      const under = await fetch(`${url}/sprawa?n=${6_200_000}`);
      expect(under.status).toBe(200);
      expect((await under.text()).length).toBe(6_200_000);
    });

    it('answers a function that fails (an unhandled error) with API Gateway\'s 500', async () => {
      // GIVEN
      answer = async () => {
        throw new Error('boom');
      };

      // WHEN / THEN
      await expectGatewayAnswer(await fetch(`${url}/potwierdzenie`, { method: 'POST' }), 500, 'Internal Server Error');
    });
  });
});
