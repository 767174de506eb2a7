import { DescribeExecutionCommand, SendTaskSuccessCommand, StartExecutionCommand, StopExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';

/** The task is no longer waiting: it timed out, its execution ended, or the token is not (or no longer) valid. */
const TASK_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export class Workflow {
  constructor(private readonly sfn: SFNClient) {}

  /** Starts the procedure for a case; the execution name is the case id, so ops find it by the id. */
  async startProcedure(stateMachineArn: string, caseId: string, input: unknown): Promise<'started' | 'already started'> {
    try {
      // Same name and input while running: Step Functions returns the running execution (a retry is safe).
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name: caseId, input: JSON.stringify(input) }));
      return 'started';
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return 'already started';
      throw error;
    }
  }

  /**
   * Hands a participant's response to the waiting task. 'gone' when the task no longer waits.
   * 'completed earlier' when the SDK had to send the call again (the first answer was lost: a reset
   * connection, a 5xx after the fact) and the retry found the task closed: the task was waiting a moment
   * before, so the lost attempt is what closed it. Only a timeout falling exactly between the two attempts
   * would make that wrong; the step's next request then waits for the step and fails visibly, never silently.
   */
  async completeTask(taskToken: string, output: unknown): Promise<'completed' | 'completed earlier' | 'gone'> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return 'completed';
    } catch (error) {
      if (error instanceof Error && TASK_GONE.has(error.name)) {
        const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        return attempts > 1 ? 'completed earlier' : 'gone';
      }
      throw error;
    }
  }

  /**
   * Stops an execution if it still runs (its `.sync` children stop with it) and says what it is now:
   * 'ABORTED' after a stop, the final status of an execution that had already ended, 'MISSING' if there is
   * none. Safe to repeat. `cause` must carry no personal data (it is shown in the console).
   */
  async stopExecution(executionArn: string, cause: string): Promise<string> {
    try {
      const before = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (before.status !== 'RUNNING') return before.status ?? 'UNKNOWN';
      await this.sfn.send(new StopExecutionCommand({ executionArn, error: 'CaseCancelled', cause }));
      const after = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return after.status ?? 'UNKNOWN';
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return 'MISSING';
      throw error;
    }
  }
}

/** The Step Functions adapter of this Lambda environment (see once() in runtime.ts). */
export const workflow = once(() => new Workflow(new SFNClient(sdkClientOptions())));
