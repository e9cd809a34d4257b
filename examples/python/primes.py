"""A Python workload for concbench: count the primes below n.

    concbench run -w py:examples/python/primes.py -s serial,threads,processpool -n 1,2

concbench calls setup(params) once (params: the PARAMS below, after any
--param), then task(i) for i in range(ntasks) under each concurrency model,
and checks that every model gives the serial run's checksum. Without a
post(), the checksum is concbench's ordered hash of the task results.
"""

NAME = "example.pyprimes"
PARAMS = {
    # one default for every size, or one per size (tiny, quick, default, large)
    "n": {"type": "int", "default": {"tiny": 20000, "default": 400000}, "min": 2,
          "help": "count primes in [2, n)"},
    "tasks": {"type": "int", "default": 64, "min": 1, "help": "equal ranges, one per task"},
}

n = step = 0


def setup(params):
    global n, step
    n, tasks = params["n"], params["tasks"]
    step = -(-n // tasks)
    return -(-n // step)          # the number of tasks


def is_prime(x):
    if x < 2:
        return False
    d = 2
    while d * d <= x:
        if x % d == 0:
            return False
        d += 1
    return True


def task(i):                      # an int: this task's partial result
    return sum(1 for x in range(i * step, min((i + 1) * step, n)) if is_prime(x))
