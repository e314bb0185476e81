import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbackOutcome, TaskCallbacks } from '../domain/ports';

/** Errors meaning the waiting task is gone: completing it again is pointless, not a failure. */
const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** SendTaskFailure limits (characters). */
const MAX_ERROR = 256;
const MAX_CAUSE = 32768;

/** Completes `.waitForTaskToken` states with Step Functions SendTaskSuccess / SendTaskFailure. */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  succeed(taskToken: string, output: Record<string, unknown>): Promise<TaskCallbackOutcome> {
    return this.complete(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  fail(taskToken: string, error: string, cause: string): Promise<TaskCallbackOutcome> {
    return this.complete(() =>
      this.client.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.slice(0, MAX_ERROR),
          cause: cause.slice(0, MAX_CAUSE),
        }),
      ),
    );
  }

  private async complete(call: () => Promise<unknown>): Promise<TaskCallbackOutcome> {
    try {
      await call();
      return { outcome: 'sent' };
    } catch (err) {
      if (err instanceof Error && STALE_TOKEN_ERRORS.has(err.name)) {
        return { outcome: 'stale', reason: `${err.name}: ${err.message}` };
      }
      throw err;
    }
  }
}
