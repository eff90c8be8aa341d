import { SetMetadata } from '@nestjs/common';

export const TRACK_AGENT_RUN = 'sentinel:trackAgentRun';

/** What a tracked method's result says about the run; AgentRun entities have this shape. */
export interface TrackedAgentRun {
  agentId: string;
  /** The run's own duration; without it, the time the method took. */
  durationMs?: number;
  findings?: number;
  /** Without it, the run counts as a success. */
  success?: boolean;
  /** Without it, when the method was called. */
  startedAt?: Date;
}

type RunMethod = (...args: never[]) => Promise<TrackedAgentRun>;

/**
 * Records every run the decorated method returns, as the seed's `@log_agent_run`:
 * the agent_runs_total and agent_run_duration_seconds series, and the stored
 * record behind agent performance. A method that throws produced no run and
 * records nothing, so a method that runs agents itself should return a failed
 * run (`success: false`) rather than throw. Works on providers and
 * controllers; the metrics module wraps the method when the app starts.
 */
export function TrackAgentRun(): <T extends RunMethod>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void {
  return (target, key, descriptor) => {
    SetMetadata(TRACK_AGENT_RUN, true)(target, key, descriptor);
  };
}
