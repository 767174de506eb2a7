import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_THROTTLE, LINK_PAGE_ROUTES, type LinkPageRoute, type PageAction, type Throttle } from './link-page-routes.js';
import { pascalCase } from './procedure-functions.js';

export interface LinkPagesApiProps {
  /** The function behind each page action (see LINK_PAGE_ROUTES). */
  readonly functions: Readonly<Record<PageAction, IFunction>>;
  readonly logRetention: RetentionDays;
  /** @default DEFAULT_THROTTLE */
  readonly throttle?: Throttle;
  /** Routes and their limits. @default LINK_PAGE_ROUTES */
  readonly routes?: readonly LinkPageRoute[];
}

/**
 * Access log line (JSON, HTTP API variables). `routeKey` is logged, not the URL:
 * the query string carries the signed link token and must not reach the logs.
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    httpMethod: AccessLogField.contextHttpMethod(),
    routeKey: AccessLogField.contextRouteKey(),
    protocol: AccessLogField.contextProtocol(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    integrationError: AccessLogField.contextIntegrationErrorMessage(),
  }),
);

/**
 * The public pages: the notification form, the signed confirmation links and the read-only case status,
 * as an API Gateway HTTP API (Lambda proxy, payload v2) with the routes of LINK_PAGE_ROUTES (every method of
 * each page path reaches its handler), a throttled `$default` stage, harder route-level limits where a route
 * asks for them (the form's POST), and JSON access logs without the query string (see ACCESS_LOG_FORMAT).
 */
export class LinkPagesApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;

  public constructor(scope: Construct, id: string, props: LinkPagesApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Zmiana dostawcy SD: notification form, confirmation links and case status',
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { burstLimit: throttle.burstLimit, rateLimit: throttle.rateLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const integrations = new Map<PageAction, HttpLambdaIntegration>();
    const integrationOf = (target: PageAction) => {
      let integration = integrations.get(target);
      if (!integration) {
        integration = new HttpLambdaIntegration(pascalCase(target), props.functions[target]);
        integrations.set(target, integration);
      }
      return integration;
    };
    const routeSettings: Record<string, { ThrottlingBurstLimit: number; ThrottlingRateLimit: number }> = {};
    for (const route of props.routes ?? LINK_PAGE_ROUTES) {
      const routes = this.httpApi.addRoutes({ path: route.path, methods: route.methods.map((m) => HttpMethod[m]), integration: integrationOf(route.target) });
      if (!route.throttle) continue;
      for (const method of route.methods) {
        // A route setting names only what it sets; both limits are given so none falls back to the account's.
        routeSettings[`${method} ${route.path}`] = { ThrottlingBurstLimit: route.throttle.burstLimit, ThrottlingRateLimit: route.throttle.rateLimit };
      }
      // API Gateway refuses route settings for a route key that does not exist yet.
      for (const r of routes) this.stage.node.addDependency(r);
    }
    if (Object.keys(routeSettings).length > 0) (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
  }

  /** https://<api-id>.execute-api.<region>.<suffix> — no trailing slash (the `$default` stage has no path). */
  public get url(): string {
    return this.httpApi.apiEndpoint;
  }
}
