"""py.primes: cpu.primes in pure Python, the same parameters, sizes and
checksum bit for bit (workloads/primes.c): primes in [2, n) by trial
division, tasks are equal ranges. CPU-bound Python: under threads the
tasks take turns on the GIL; under processes each has its own.

    concbench run -w py.primes,cpu.primes --param n=400000 --param tasks=64
"""

NAME = "py.primes"
KIND = "cpu"
SUMMARY = "cpu.primes in pure Python (trial division; tasks are ranges): the GIL, measured"
CHECKSUM = "as cpu.primes: the number of primes below n and an ordered hash of every prime"
PARAMS = {
    "n": {"type": "int", "min": 3, "max": 1e10, "help": "search primes in [2, n)",
          "default": {"tiny": 20000, "quick": 1500000, "default": 6000000, "large": 30000000}},
    "tasks": {"type": "int", "min": 1, "max": 1e6,
              "help": "number of equal ranges the interval is split into",
              "default": {"tiny": 16, "quick": 256, "default": 512, "large": 1024}},
}

M64 = (1 << 64) - 1
COUNT_SHIFT = 40
LOW = (1 << COUNT_SHIFT) - 1


def mix64(h, v):
    """cb_mix64 of concbench/workload.h, in 64-bit arithmetic."""
    h ^= (v + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2)) & M64
    h = (h * 0xBF58476D1CE4E5B9) & M64
    return h ^ (h >> 31)


n = per_task = 0


def setup(params):
    global n, per_task
    n, tasks = params["n"], params["tasks"]
    if tasks > n:
        raise ValueError(f"tasks={tasks} exceeds n={n} (valid: tasks <= n)")
    per_task = (n + tasks - 1) // tasks
    if per_task >= 1 << (64 - COUNT_SHIFT):
        raise ValueError("n/tasks must stay below 2^24 (raise tasks)")
    return (n + per_task - 1) // per_task


def is_prime(x):
    if x < 4:
        return x >= 2
    if not x & 1:
        return False
    d = 3
    while d * d <= x:
        if x % d == 0:
            return False
        d += 2
    return True


def task(i):
    lo = i * per_task
    hi = min(lo + per_task, n)
    count = h = 0
    for x in range(lo, hi):
        if is_prime(x):
            count += 1
            h = mix64(h, x)
    return count << COUNT_SHIFT | (h & LOW)


def post(partials):
    count = h = 0
    for p in partials:
        count += p >> COUNT_SHIFT
        h = mix64(h, p)
    return mix64(h, count)
