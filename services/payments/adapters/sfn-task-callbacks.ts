import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AuthorizationOutput, CallbackResult, TaskCallbacks } from '../domain/ports';

/** Errors meaning nobody waits on the token any more: it completed, timed out, or never existed. */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** SendTaskFailure limits (characters). */
const MAX_ERROR = 256;
const MAX_CAUSE = 32768;

/** Resumes `.waitForTaskToken` tasks through Step Functions' SendTaskSuccess / SendTaskFailure. */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  succeed(taskToken: string, output: AuthorizationOutput): Promise<CallbackResult> {
    return this.send(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  fail(taskToken: string, error: string, cause: string): Promise<CallbackResult> {
    return this.send(() =>
      this.client.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.slice(0, MAX_ERROR),
          cause: cause.slice(0, MAX_CAUSE),
        }),
      ),
    );
  }

  private async send(call: () => Promise<unknown>): Promise<CallbackResult> {
    try {
      await call();
      return 'delivered';
    } catch (err) {
      if (err instanceof Error && GONE.has(err.name)) return 'gone';
      throw err;
    }
  }
}
