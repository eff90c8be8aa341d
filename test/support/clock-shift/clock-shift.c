/*
 * LD_PRELOAD shim for tests: moves a process's wall clock CLOCK_SHIFT_SECONDS
 * (fractional, may be negative) away from the real one. Only the wall clock:
 * CLOCK_MONOTONIC and friends are untouched, so timers keep running at real
 * speed. Built by test/support/clock-shift.ts with the machine's C compiler.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#define NANOS 1000000000LL

static long long shift_nanos(void) {
  static int loaded;
  static long long shift;
  if (!loaded) {
    const char *value = getenv("CLOCK_SHIFT_SECONDS");
    shift = value ? (long long)(strtod(value, NULL) * NANOS) : 0;
    loaded = 1;
  }
  return shift;
}

static int is_wall_clock(clockid_t id) {
  return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
  static int (*real)(clockid_t, struct timespec *);
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = real(id, ts);
  if (rc == 0 && is_wall_clock(id)) {
    long long total = (long long)ts->tv_sec * NANOS + ts->tv_nsec + shift_nanos();
    ts->tv_sec = (time_t)(total / NANOS);
    ts->tv_nsec = (long)(total % NANOS);
    if (ts->tv_nsec < 0) {
      ts->tv_nsec += NANOS;
      ts->tv_sec -= 1;
    }
  }
  return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  struct timespec ts;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0 && tv) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return rc;
}

time_t time(time_t *out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}
