/**
 * Fidelity: everything the regional template defines is served by the local region built from it — read
 * straight from the template JSON (not through the runtime's own model) and asked of the running region
 * through the AWS SDK clients and HTTP, as a handler or an operator would.
 */
import { readFileSync } from 'node:fs';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { listStacks } from '../../local/assembly';
import { request, useTestRuntime } from './support/runtime';

jest.setTimeout(120_000);

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

const credentials = { accessKeyId: 'e2e', secretAccessKey: 'e2e' };

describe('fidelity: the regional template, served locally', () => {
  const runtime = useTestRuntime();

  const regionalTemplate = (region: string) => {
    const stack = listStacks(process.env.MERIDIAN_E2E_ASSEMBLY!).find(
      (s) =>
        s.region === region &&
        Object.values(s.template.Resources ?? {}).some((r) => r.Type === 'AWS::ApiGateway::RestApi'),
    );
    if (!stack) throw new Error(`no regional stack for ${region}`);
    return JSON.parse(readFileSync(stack.templatePath, 'utf8')) as { Resources: Record<string, Resource> };
  };
  const ofType = (resources: Record<string, Resource>, type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type);
  const nameOf = (id: string, r: Resource, prop: string) =>
    typeof r.Properties?.[prop] === 'string' ? (r.Properties[prop] as string) : id;
  const endpoint = (region: string, port: 'lambda' | 'sfn' | 'events' | 'sqs' | 'sns' | 'secrets') =>
    `http://127.0.0.1:${runtime().runtime.endpoints[region]!.ports[port]}`;

  it.each(['us-east-1', 'eu-west-1'])('serves every Lambda function of %s', async (region) => {
    const functions = ofType(regionalTemplate(region).Resources, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(10);
    for (const [id, r] of functions) {
      const response = await fetch(
        `${endpoint(region, 'lambda')}/2015-03-31/functions/${nameOf(id, r, 'FunctionName')}/invocations`,
        { method: 'POST', headers: { 'x-amz-invocation-type': 'DryRun' }, body: '{}' },
      );
      expect({ id, status: response.status }).toEqual({ id, status: 204 });
    }
  });

  it.each(['us-east-1', 'eu-west-1'])('routes every API method of %s to its function', async (region) => {
    const rt = runtime();
    const resources = regionalTemplate(region).Resources;
    const pathOf = (ref: unknown): string => {
      const id = (ref as { Ref?: string }).Ref;
      const res = id ? resources[id] : undefined;
      if (!res || res.Type !== 'AWS::ApiGateway::Resource') return '';
      const part = String(res.Properties?.PathPart).replace(/^\{.*\}$/, 'PROD-1');
      return `${pathOf(res.Properties?.ParentId)}/${part}`;
    };
    const methods = ofType(resources, 'AWS::ApiGateway::Method').filter(
      ([, r]) => r.Properties?.HttpMethod !== 'OPTIONS',
    );
    expect(methods.length).toBeGreaterThanOrEqual(8);
    for (const [id, r] of methods) {
      const method = String(r.Properties?.HttpMethod);
      const route = pathOf(r.Properties?.ResourceId) || '/';
      const res = await request<{ error?: { code?: string } }>(
        rt.api(region),
        method,
        route,
        method === 'GET' ? undefined : {},
      );
      expect({ id, method, route, code: res.body.error?.code, status: res.status < 500 }).toEqual({
        id,
        method,
        route,
        code: expect.not.stringMatching(/^ROUTE_NOT_FOUND$/) as unknown,
        status: true,
      });
    }
  });

  it.each(['us-east-1', 'eu-west-1'])(
    'serves the state machines, rules, queues, topics and secrets of %s',
    async (region) => {
      const resources = regionalTemplate(region).Resources;
      const sfn = new SFNClient({ region, endpoint: endpoint(region, 'sfn'), credentials });
      const events = new EventBridgeClient({ region, endpoint: endpoint(region, 'events'), credentials });
      const sqs = new SQSClient({ region, endpoint: endpoint(region, 'sqs'), credentials });
      const sns = new SNSClient({ region, endpoint: endpoint(region, 'sns'), credentials });
      const secrets = new SecretsManagerClient({
        region,
        endpoint: endpoint(region, 'secrets'),
        credentials,
      });
      try {
        for (const [id, r] of ofType(resources, 'AWS::StepFunctions::StateMachine')) {
          const name = nameOf(id, r, 'StateMachineName');
          const out = await sfn.send(
            new DescribeStateMachineCommand({
              stateMachineArn: `arn:aws:states:${region}:111111111111:stateMachine:${name}`,
            }),
          );
          expect(out.name).toBe(name);
          expect(
            Object.keys((JSON.parse(out.definition!) as { States: object }).States).length,
          ).toBeGreaterThan(5);
        }
        const rules = ofType(resources, 'AWS::Events::Rule');
        expect(rules.length).toBeGreaterThan(3);
        for (const [id, r] of rules) {
          const bus =
            (r.Properties?.EventBusName as unknown) === undefined ? undefined : 'meridian-local-bus';
          const out = await events.send(
            new DescribeRuleCommand({ Name: nameOf(id, r, 'Name'), ...(bus && { EventBusName: bus }) }),
          );
          expect(out.State).toBe(r.Properties?.State ?? 'ENABLED');
        }
        for (const [id, r] of ofType(resources, 'AWS::SQS::Queue')) {
          const out = await sqs.send(new GetQueueUrlCommand({ QueueName: nameOf(id, r, 'QueueName') }));
          expect(out.QueueUrl).toContain(nameOf(id, r, 'QueueName'));
        }
        const topics = (await sns.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn) ?? [];
        for (const [id, r] of ofType(resources, 'AWS::SNS::Topic')) {
          expect(topics).toContainEqual(expect.stringMatching(new RegExp(`:${nameOf(id, r, 'TopicName')}$`)));
        }
        for (const [id, r] of ofType(resources, 'AWS::SecretsManager::Secret')) {
          const out = await secrets.send(new DescribeSecretCommand({ SecretId: nameOf(id, r, 'Name') }));
          expect(out.Name).toBe(nameOf(id, r, 'Name'));
        }
      } finally {
        for (const client of [sfn, events, sqs, sns, secrets]) client.destroy();
      }
    },
  );
});
