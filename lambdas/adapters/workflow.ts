import { SendTaskSuccessCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

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

  /** Hands a participant's response to the waiting task. 'gone' when the task no longer waits. */
  async completeTask(taskToken: string, output: unknown): Promise<'completed' | 'gone'> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return 'completed';
    } catch (error) {
      if (error instanceof Error && TASK_GONE.has(error.name)) return 'gone';
      throw error;
    }
  }
}
