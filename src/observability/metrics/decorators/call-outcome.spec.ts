import { outcomeOfError, outcomeOfResult } from './call-outcome';

describe('outcomeOfResult', () => {
  it('counts a result without any of the fields as a success at list price', () => {
    expect(outcomeOfResult({ data: [1, 2] })).toEqual({ statusCode: null, success: true });
    expect(outcomeOfResult(undefined)).toEqual({ statusCode: null, success: true });
  });

  it('takes the status, and counts 400 and above as a failure', () => {
    expect(outcomeOfResult({ status: 200 })).toEqual({ statusCode: 200, success: true });
    expect(outcomeOfResult({ statusCode: 429 })).toEqual({ statusCode: 429, success: false });
  });

  it('lets an explicit success or ok decide over the status', () => {
    expect(outcomeOfResult({ status: 200, success: false })).toEqual({ statusCode: 200, success: false });
    expect(outcomeOfResult({ status: 503, ok: true })).toEqual({ statusCode: 503, success: true });
  });

  it('takes a cost only when it is a finite, non-negative number', () => {
    expect(outcomeOfResult({ cost: 0.25 })).toEqual({ statusCode: null, success: true, cost: 0.25 });
    expect(outcomeOfResult({ cost: -1 })).toEqual({ statusCode: null, success: true });
    expect(outcomeOfResult({ cost: '0.25' })).toEqual({ statusCode: null, success: true });
  });
});

describe('outcomeOfError', () => {
  it('is a failure, with the status an error carries', () => {
    expect(outcomeOfError(Object.assign(new Error('busy'), { status: 503 }))).toEqual({
      statusCode: 503,
      success: false,
    });
    expect(outcomeOfError(new Error('socket hang up'))).toEqual({ statusCode: null, success: false });
  });
});
