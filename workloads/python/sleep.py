"""py.sleep: io.sleep in Python, the same parameters, sizes and checksum
bit for bit (workloads/sleep.c): each task waits `latency` through
concbench's I/O interface (concbench.sleep: it yields under coroutines and
releases the GIL elsewhere), then runs `cpu` seconds of the LCG chain of
workloads/spin.h, whose value is its partial. The chain's rate is Python's,
calibrated here at setup and recorded as a measured parameter (`rate`), so
`cpu` is Python work of that length; given the same --param rate, py.sleep
and io.sleep do the same number of steps and agree.

    concbench run -w py.sleep,io.sleep --param rate=2e6 -s serial,threads,coroutines
"""
import math
import time

import concbench

NAME = "py.sleep"
KIND = "io"
SUMMARY = "io.sleep in Python: each task waits `latency` (concbench.sleep), then computes `cpu`"
CHECKSUM = "as io.sleep: an ordered hash of every task's LCG chain result"
PARAMS = {
    "tasks": {"type": "int", "min": 1, "max": 1e7, "help": "tasks (requests), each one sleep then a little work",
              "default": {"tiny": 64, "quick": 50, "default": 400, "large": 10000}},
    "latency": {"type": "time", "min": 0, "max": 60,
                "help": "how long each task waits (through concbench.sleep)",
                "default": {"tiny": "1ms", "quick": "1ms", "default": "2ms", "large": "10ms"}},
    "cpu": {"type": "time", "min": 0, "max": 1, "help": "work after the wait, calibrated in Python at setup",
            "default": {"tiny": "10us", "quick": "50us", "default": "50us", "large": "50us"}},
    "rate": {"type": "measured", "default": 0, "min": 0, "max": 1e15,
             "help": "LCG steps per second in Python; 0: calibrated at setup (the measured rate is recorded)"},
}

M64 = (1 << 64) - 1
latency = 0.0
iters = 0


def spin(seed, n):
    """cb_spin of workloads/spin.h in 64-bit arithmetic."""
    x = seed
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407 + i) & M64
    return x


def calibrate():
    """Steps per second of spin(), the best of a few short probes."""
    best, n = 0.0, 1 << 14
    for k in range(5):
        t0 = time.perf_counter()
        spin(k, n)
        dt = time.perf_counter() - t0
        if dt > 0 and n / dt > best:
            best = n / dt
    return best


def setup(params):
    global latency, iters
    if params["rate"] <= 0:
        params["rate"] = calibrate()     # recorded as the measured rate
    latency = params["latency"]
    iters = math.floor(params["cpu"] * params["rate"] + 0.5)   # llround
    return params["tasks"]


def task(i):
    concbench.sleep(latency)
    return spin(i + 1, iters)
