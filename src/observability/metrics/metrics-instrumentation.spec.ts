import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Clock } from '../../common/clock/clock';
import { metricsConfig } from '../../config';
import { TrackAgentRun, type TrackedAgentRun } from './decorators/track-agent-run.decorator';
import { TrackExternalCall } from './decorators/track-external-call.decorator';
import { MetricsInstrumentation } from './metrics-instrumentation';
import { type AgentRunReport, type ExternalCallReport, MetricsRecorder } from './metrics-recorder.service';

const CALLED_AT = new Date('2026-11-23T10:00:00.000Z');

@Injectable()
class SampleService {
  @TrackAgentRun()
  async reportedRun(run: TrackedAgentRun): Promise<TrackedAgentRun> {
    return Promise.resolve(run);
  }

  @TrackAgentRun()
  async missingAgent(): Promise<TrackedAgentRun> {
    return Promise.reject(new Error('no such agent'));
  }

  @TrackExternalCall('quotes')
  async quote(status: number): Promise<{ status: number; cost: number }> {
    return Promise.resolve({ status, cost: 0.01 });
  }

  @TrackExternalCall('quotes')
  async brokenQuote(): Promise<never> {
    return Promise.reject(Object.assign(new Error('upstream down'), { status: 502 }));
  }

  untracked(): string {
    return 'plain';
  }
}

class RecorderSpy implements Pick<MetricsRecorder, 'recordAgentRun' | 'recordExternalCallInBackground'> {
  runs: AgentRunReport[] = [];
  calls: ExternalCallReport[] = [];

  recordAgentRun(run: AgentRunReport): void {
    this.runs.push(run);
  }

  recordExternalCallInBackground(call: ExternalCallReport): void {
    this.calls.push(call);
  }
}

async function instrumented(enabled = true): Promise<{ service: SampleService; recorder: RecorderSpy }> {
  const recorder = new RecorderSpy();
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [
      SampleService,
      MetricsInstrumentation,
      { provide: MetricsRecorder, useValue: recorder },
      { provide: Clock, useValue: { now: () => new Date(CALLED_AT) } },
      { provide: metricsConfig.KEY, useValue: { enabled } },
    ],
  }).compile();
  await moduleRef.init();
  return { service: moduleRef.get(SampleService), recorder };
}

describe('MetricsInstrumentation', () => {
  it("records a returned run from the run's own figures", async () => {
    const { service, recorder } = await instrumented();
    const startedAt = new Date('2026-11-23T09:00:00.000Z');
    const run = { agentId: 'a1', startedAt, durationMs: 1234, findings: 3, success: false };
    await expect(service.reportedRun(run)).resolves.toBe(run);
    expect(recorder.runs).toEqual([run]);
  });

  it('fills what the result leaves out: call time, measured duration, no findings, success', async () => {
    const { service, recorder } = await instrumented();
    await service.reportedRun({ agentId: 'a2' });
    expect(recorder.runs).toEqual([
      { agentId: 'a2', startedAt: CALLED_AT, durationMs: expect.any(Number), findings: 0, success: true },
    ]);
  });

  it('records no run when the method throws, and lets the error through', async () => {
    const { service, recorder } = await instrumented();
    await expect(service.missingAgent()).rejects.toThrow('no such agent');
    expect(recorder.runs).toEqual([]);
  });

  it('records an external call with its status, outcome and cost, and a thrown one as failed', async () => {
    const { service, recorder } = await instrumented();
    await expect(service.quote(429)).resolves.toEqual({ status: 429, cost: 0.01 });
    await expect(service.brokenQuote()).rejects.toThrow('upstream down');
    expect(recorder.calls).toEqual([
      { api: 'quotes', durationMs: expect.any(Number), statusCode: 429, success: false, cost: 0.01 },
      { api: 'quotes', durationMs: expect.any(Number), statusCode: 502, success: false },
    ]);
  });

  it('leaves undecorated methods, and everything when METRICS_ENABLED is false, as they are', async () => {
    const { service, recorder } = await instrumented(false);
    expect(service.untracked()).toBe('plain');
    await service.reportedRun({ agentId: 'a3' });
    await service.quote(200);
    expect(recorder.runs).toEqual([]);
    expect(recorder.calls).toEqual([]);
  });
});
