import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SagaInput } from '../../shared/saga';
import type { SagaStarter } from '../domain/ports';

/**
 * Starts the order saga on Step Functions. The execution name is the order id, so a second start is
 * either answered with the running execution (same input) or refused with ExecutionAlreadyExists:
 * both mean the saga is already under way.
 */
export class SfnSagaStarter implements SagaStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: SagaInput): Promise<'started' | 'already-started'> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: input.order.orderId,
          input: JSON.stringify(input),
        }),
      );
      return 'started';
    } catch (err) {
      if (err instanceof Error && err.name === 'ExecutionAlreadyExists') return 'already-started';
      throw err;
    }
  }
}
