import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StepFunctionsError, type StepFunctionsErrorName } from './errors';
import type { ExecutionStatus } from './state-machine';
import type { LocalStepFunctions } from './registry';

/** A Step Functions endpoint (AWS JSON 1.0) on loopback. */
export interface StepFunctionsServer {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface StepFunctionsServerOptions {
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** Internal failures are logged here. @default the registry's `log` */
  readonly log?: (line: string) => void;
}

type Json = Record<string, unknown>;

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Far above any valid request (inputs are ≤ 256 KB): the rest is never buffered. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The `__type` namespace Step Functions answers its own errors with; the SDK keeps the part after `#`. */
const SFN_NAMESPACE = 'com.amazonaws.swf.service.v2.model';
/** Errors raised by the service framework, not the Step Functions model. */
const FRAMEWORK_NAMESPACE: Partial<Record<StepFunctionsErrorName, string>> = {
  ValidationException: 'com.amazon.coral.validate',
  UnknownOperationException: 'com.amazon.coral.service',
  SerializationException: 'com.amazon.coral.service',
};

function invalid(message: string): StepFunctionsError {
  return new StepFunctionsError('ValidationException', `1 validation error detected: ${message}`);
}

/** A string member: present (when required), a string, within its length constraints. */
function str(input: Json, key: string, max: number, required: true): string;
function str(input: Json, key: string, max: number, required?: false): string | undefined;
function str(input: Json, key: string, max: number, required = false): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required)
      throw invalid(`Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string')
    throw new StepFunctionsError('SerializationException', `${key} must be a string`);
  if (required && v.length < 1) {
    throw invalid(
      `Value '' at '${key}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (v.length > max) {
    throw invalid(
      `Value at '${key}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  return v;
}

function int(input: Json, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new StepFunctionsError('SerializationException', `${key} must be an integer`);
  }
  return v;
}

function bool(input: Json, key: string): boolean | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw new StepFunctionsError('SerializationException', `${key} must be a boolean`);
  return v;
}

/** Dates → epoch seconds (the protocol's timestamp format), recursively; undefined members dropped. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

/** Serves the registry's operations over AWS JSON 1.0 (`X-Amz-Target: AWSStepFunctions.<Operation>`). */
export async function stepFunctionsServer(
  service: LocalStepFunctions,
  options: StepFunctionsServerOptions = {},
): Promise<StepFunctionsServer> {
  const log = options.log ?? service.log;

  const handlers: Record<string, (input: Json) => unknown> = {
    StartExecution: (input) => {
      const stateMachineArn = str(input, 'stateMachineArn', 256, true);
      const name = str(input, 'name', 80);
      if (name !== undefined && name.length === 0)
        throw new StepFunctionsError('InvalidName', "Invalid Name: ''");
      // The size limit of `input` is checked by the runner (InvalidExecutionInput), so no length here.
      const body = str(input, 'input', Number.MAX_SAFE_INTEGER);
      return service.startExecution(stateMachineArn, {
        ...(name !== undefined ? { name } : {}),
        ...(body !== undefined ? { input: body } : {}),
      });
    },
    DescribeExecution: (input) => {
      const e = service.describeExecution(str(input, 'executionArn', 256, true));
      return {
        ...e,
        inputDetails: { included: true },
        ...(e.output !== undefined ? { outputDetails: { included: true } } : {}),
      };
    },
    GetExecutionHistory: (input) => {
      const executionArn = str(input, 'executionArn', 256, true);
      const nextToken = str(input, 'nextToken', 1024);
      const maxResults = int(input, 'maxResults');
      const reverseOrder = bool(input, 'reverseOrder');
      const includeExecutionData = bool(input, 'includeExecutionData');
      return service.getExecutionHistory(executionArn, {
        ...(nextToken !== undefined ? { nextToken } : {}),
        ...(maxResults !== undefined ? { maxResults } : {}),
        ...(reverseOrder !== undefined ? { reverseOrder } : {}),
        ...(includeExecutionData !== undefined ? { includeExecutionData } : {}),
      });
    },
    ListExecutions: (input) => {
      if (input.mapRunArn !== undefined && input.mapRunArn !== null) {
        throw invalid(
          "Value at 'mapRunArn' failed to satisfy constraint: Distributed Map runs are not served locally",
        );
      }
      const stateMachineArn = str(input, 'stateMachineArn', 256);
      if (stateMachineArn === undefined) {
        throw new StepFunctionsError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
      }
      const statusFilter = str(input, 'statusFilter', 16) as ExecutionStatus | undefined;
      const nextToken = str(input, 'nextToken', 3096);
      const maxResults = int(input, 'maxResults');
      return service.listExecutions(stateMachineArn, {
        ...(statusFilter !== undefined ? { statusFilter } : {}),
        ...(nextToken !== undefined ? { nextToken } : {}),
        ...(maxResults !== undefined ? { maxResults } : {}),
      });
    },
    StopExecution: (input) => {
      const executionArn = str(input, 'executionArn', 256, true);
      const error = str(input, 'error', 256);
      const cause = str(input, 'cause', 32768);
      return service.stopExecution(executionArn, {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      });
    },
    SendTaskSuccess: (input) => {
      const taskToken = str(input, 'taskToken', 2048, true);
      const output = str(input, 'output', 262144, true);
      service.sendTaskSuccess(taskToken, output);
      return {};
    },
    SendTaskFailure: (input) => {
      const taskToken = str(input, 'taskToken', 2048, true);
      const error = str(input, 'error', 256);
      const cause = str(input, 'cause', 32768);
      service.sendTaskFailure(taskToken, {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      });
      return {};
    },
    SendTaskHeartbeat: (input) => {
      service.sendTaskHeartbeat(str(input, 'taskToken', 2048, true));
      return {};
    },
    DescribeStateMachine: (input) => service.describeStateMachine(str(input, 'stateMachineArn', 256, true)),
    ListStateMachines: (input) => {
      const nextToken = str(input, 'nextToken', 1024);
      const maxResults = int(input, 'maxResults');
      return service.listStateMachines({
        ...(nextToken !== undefined ? { nextToken } : {}),
        ...(maxResults !== undefined ? { maxResults } : {}),
      });
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(toWire(body));
    res.writeHead(status, {
      'content-type': CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  };

  const sendError = (res: ServerResponse, error: StepFunctionsError): void => {
    const namespace = FRAMEWORK_NAMESPACE[error.name] ?? SFN_NAMESPACE;
    send(res, 400, { __type: `${namespace}#${error.name}`, message: error.message });
  };

  const internal = (res: ServerResponse, error: unknown): void => {
    log(`internal failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (!res.headersSent) {
      send(res, 500, { __type: 'com.amazon.coral.service#InternalFailure', message: 'Internal failure' });
    }
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer | undefined> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      send(res, 413, {
        __type: 'com.amazon.coral.service#RequestEntityTooLargeException',
        message: `Request body larger than ${MAX_BODY_BYTES} bytes`,
      });
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    const handler = req.method === 'POST' && operation !== undefined ? handlers[operation] : undefined;
    if (!handler) {
      sendError(
        res,
        new StepFunctionsError(
          'UnknownOperationException',
          operation ? `Unknown operation: ${operation}` : `Unsupported request: ${req.method} ${target}`,
        ),
      );
      return;
    }
    let input: unknown;
    try {
      const text = body.toString('utf8');
      input = text.length > 0 ? JSON.parse(text) : {};
    } catch {
      sendError(res, new StepFunctionsError('SerializationException', 'The request body is not valid JSON'));
      return;
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) {
      sendError(
        res,
        new StepFunctionsError('SerializationException', 'The request body must be a JSON object'),
      );
      return;
    }
    try {
      send(res, 200, handler(input as Json));
    } catch (error) {
      if (error instanceof StepFunctionsError) sendError(res, error);
      else internal(res, error);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => internal(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
