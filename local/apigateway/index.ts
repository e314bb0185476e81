export {
  apiGatewayServer,
  INTEGRATION_TIMEOUT_MS,
  MAX_REQUEST_BYTES,
  type ApiGatewayServer,
  type ApiGatewayServerOptions,
  type ApiInvoke,
  type InvokeResult,
} from './server';
export { buildProxyEvent, isBinaryMediaType, type GatewayRequest, type ProxyEventContext } from './event';
export { gatewayResponse, mapProxyResponse, renderTemplate, type GatewayResponseType } from './responses';
export { RouteTable, RouteTableError, type ResourceMatch } from './routes';
export { TokenBucket, stageThrottle } from './throttle';
