import { Injectable } from '@nestjs/common';

/**
 * The time as the application sees it. Everything with a deadline (sessions,
 * lockouts, TOTP steps, grants) asks this instead of `new Date()`, so tests can
 * move time forward instead of sleeping.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
