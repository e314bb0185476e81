import { DescribeEventBusCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HealthProbe } from '../domain/ports';

/** Reads the HEALTH item of the orders table: proves the table answers reads in this region. */
export class DynamoTableProbe implements HealthProbe {
  readonly name = 'table';
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async probe(signal: AbortSignal): Promise<void> {
    await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: 'HEALTH', sk: 'HEALTH' } }),
      { abortSignal: signal },
    );
  }
}

/** Describes this region's event bus. */
export class EventBusProbe implements HealthProbe {
  readonly name = 'bus';
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async probe(signal: AbortSignal): Promise<void> {
    await this.client.send(new DescribeEventBusCommand({ Name: this.busName }), { abortSignal: signal });
  }
}

/** Describes this region's saga state machine. */
export class StateMachineProbe implements HealthProbe {
  readonly name = 'stateMachine';
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async probe(signal: AbortSignal): Promise<void> {
    await this.client.send(new DescribeStateMachineCommand({ stateMachineArn: this.stateMachineArn }), {
      abortSignal: signal,
    });
  }
}
