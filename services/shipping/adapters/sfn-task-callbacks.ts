import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbackOutcome, TaskCallbacks } from '../domain/ports';

/** Errors meaning the waiting task is gone: completing it again is pointless, not a failure. */
const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Resumes `.waitForTaskToken` states with Step Functions SendTaskSuccess. */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<TaskCallbackOutcome> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return { outcome: 'sent' };
    } catch (err) {
      if (err instanceof Error && STALE_TOKEN_ERRORS.has(err.name)) {
        return { outcome: 'stale', reason: `${err.name}: ${err.message}` };
      }
      throw err;
    }
  }
}
