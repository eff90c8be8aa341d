import { Clock } from '../../src/common/clock/clock';

/** A clock the test moves by hand: time only passes when `advance` is called. */
export class TestClock extends Clock {
  private current: Date;

  constructor(start = new Date()) {
    super();
    this.current = new Date(start.getTime());
  }

  override now(): Date {
    return new Date(this.current.getTime());
  }

  advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }

  advanceMinutes(minutes: number): void {
    this.advance(minutes * 60_000);
  }
}
