import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface LinkPagesApiProps {
  /** Serves GET / (redirect), GET and POST /zgloszenie. */
  readonly notificationForm: IFunction;
  /** Serves GET, HEAD and POST /potwierdzenie. */
  readonly confirmationLinks: IFunction;
  readonly logRetention: RetentionDays;
  /** @default { burstLimit: 50, rateLimit: 20 } */
  readonly throttle?: { readonly burstLimit: number; readonly rateLimit: number };
}

/** The routes of the link pages (method, path, which function). */
export const LINK_PAGE_ROUTES = [
  { path: '/', methods: [HttpMethod.GET], target: 'notificationForm' },
  { path: '/zgloszenie', methods: [HttpMethod.GET, HttpMethod.POST], target: 'notificationForm' },
  { path: '/potwierdzenie', methods: [HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST], target: 'confirmationLinks' },
] as const;

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
 * The public pages: the notification form and the signed confirmation links, as an
 * API Gateway HTTP API (Lambda proxy, payload v2) with a throttled `$default` stage and
 * JSON access logs without the query string (see ACCESS_LOG_FORMAT).
 */
export class LinkPagesApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;

  public constructor(scope: Construct, id: string, props: LinkPagesApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Zmiana dostawcy SD: notification form and confirmation links',
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const throttle = props.throttle ?? { burstLimit: 50, rateLimit: 20 };
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { burstLimit: throttle.burstLimit, rateLimit: throttle.rateLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const integrations = {
      notificationForm: new HttpLambdaIntegration('NotificationForm', props.notificationForm),
      confirmationLinks: new HttpLambdaIntegration('ConfirmationLinks', props.confirmationLinks),
    };
    for (const route of LINK_PAGE_ROUTES) {
      this.httpApi.addRoutes({ path: route.path, methods: [...route.methods], integration: integrations[route.target] });
    }
  }

  /** https://<api-id>.execute-api.<region>.<suffix> — no trailing slash (the `$default` stage has no path). */
  public get url(): string {
    return this.httpApi.apiEndpoint;
  }
}
