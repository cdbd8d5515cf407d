/*
 * pyrobench calibration benchmark.
 *
 * A workload whose "profiling switch" adds a known amount of CPU work instead of
 * starting an agent, so that the measuring chain (timer, statistics, report) can
 * be checked against a known answer.
 *
 *   PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  non-empty: do the extra work
 *   CALIBRATION_WORK          units of base work (default DEFAULT_WORK)
 *   CALIBRATION_OVERHEAD_PCT  extra work in percent of the base work (default 20)
 *   CALIBRATION_MODE          "main":   extra work on the main thread after the base
 *                                       work (wall and CPU time both grow)
 *                             "thread": extra work on a second thread, concurrent
 *                                       with the base work (CPU grows, wall does
 *                                       not, given a free core)
 *
 * Work is counted in iterations of a serial hash chain (multiply, add, xor-shift);
 * each step depends on the previous one and the final value is printed, so the
 * compiler can neither vectorise, shorten nor drop it. No clock is read to decide
 * how much to do: a run does the same work on any machine.
 *
 * stdout: one checksum line. stderr: the pyrobench phase markers "pyrobench:phase work"
 * (before the work) and "pyrobench:phase shutdown" (after it), then the program's own
 * wall/user/sys times.
 * Exit 0 on success, 2 on a bad setting, 1 on a system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define ITERATIONS_PER_UNIT 1000000ULL /* one unit of work = 1e6 chain steps */
#define DEFAULT_WORK 1000ULL           /* about 2 s of CPU on the reference machine */
#define DEFAULT_OVERHEAD_PCT 20.0
#define MAX_WORK 1000000000ULL /* keeps WORK * ITERATIONS_PER_UNIT in 64 bits */

static uint64_t chain(uint64_t x, uint64_t iterations)
{
    for (uint64_t i = 0; i < iterations; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        x ^= x >> 29;
    }
    return x;
}

struct job {
    uint64_t seed;
    uint64_t iterations;
    uint64_t result;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    j->result = chain(j->seed, j->iterations);
    return NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

static uint64_t env_u64(const char *name, uint64_t def, uint64_t max)
{
    const char *v = env(name);
    if (!v)
        return def;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || *v == '-' || n > max) {
        fprintf(stderr, "calibration: %s must be an integer in 0..%" PRIu64 ", got '%s'\n",
                name, max, v);
        exit(2);
    }
    return n;
}

static double env_pct(const char *name, double def)
{
    const char *v = env(name);
    if (!v)
        return def;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || !(d >= 0.0 && d <= 100000.0)) {
        fprintf(stderr, "calibration: %s must be a number in 0..100000, got '%s'\n", name, v);
        exit(2);
    }
    return d;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
    return t.tv_sec + t.tv_usec / 1e6;
}

int main(void)
{
    double t0 = now();
    uint64_t work = env_u64("CALIBRATION_WORK", DEFAULT_WORK, MAX_WORK);
    double pct = env_pct("CALIBRATION_OVERHEAD_PCT", DEFAULT_OVERHEAD_PCT);
    const char *mode = env("CALIBRATION_MODE");
    if (!mode)
        mode = "main";
    if (strcmp(mode, "main") != 0 && strcmp(mode, "thread") != 0) {
        fprintf(stderr, "calibration: CALIBRATION_MODE must be 'main' or 'thread', got '%s'\n",
                mode);
        return 2;
    }
    int profiling = env("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING") != NULL;

    uint64_t base_iters = work * ITERATIONS_PER_UNIT;
    /* rounded to the nearest whole iteration */
    uint64_t extra_iters =
        profiling ? (uint64_t)((double)base_iters * pct / 100.0 + 0.5) : 0;

    struct job base = {.seed = 0x9E3779B97F4A7C15ULL, .iterations = base_iters};
    struct job extra = {.seed = 0xD1B54A32D192ED03ULL, .iterations = extra_iters};

    /* pyrobench phase markers (see benchmarks/README.md), on stderr, which is
     * unbuffered: everything measured (base and extra work) is inside "work", so the
     * known extra CPU lands in the work phase and startup/shutdown add nothing. */
    fputs("pyrobench:phase work\n", stderr);
    if (extra_iters && strcmp(mode, "thread") == 0) {
        pthread_t th;
        int rc = pthread_create(&th, NULL, run_job, &extra);
        if (rc) {
            fprintf(stderr, "calibration: pthread_create: %s\n", strerror(rc));
            return 1;
        }
        run_job(&base);
        rc = pthread_join(th, NULL);
        if (rc) {
            fprintf(stderr, "calibration: pthread_join: %s\n", strerror(rc));
            return 1;
        }
    } else {
        run_job(&base);
        if (extra_iters)
            run_job(&extra);
    }

    fputs("pyrobench:phase shutdown\n", stderr);

    uint64_t checksum = base.result ^ (extra.result * 0x2545F4914F6CDD1DULL);
    printf("calibration checksum=%016" PRIx64 " work=%" PRIu64 " profiling=%d mode=%s "
           "overhead_pct=%g base_iterations=%" PRIu64 " extra_iterations=%" PRIu64 "\n",
           checksum, work, profiling, mode, profiling ? pct : 0.0, base_iters, extra_iters);
    fflush(stdout);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "calibration: wall=%.3fs user=%.3fs sys=%.3fs\n", now() - t0,
            tv(ru.ru_utime), tv(ru.ru_stime));
    return 0;
}
