"""An asyncio workload for concbench: `async def task(i)`, as asyncio code
is written, 1,000 tasks that each wait 10 ms.

    concbench run -w py:examples/python/sleeps.py -s serial,threads,coroutines -n 1,4 -c 1000

Under coroutines each scheduler thread runs its share of -c tasks in flight
on an asyncio loop of its own; under threads and processes each worker
runs each task to its end on the loop it keeps (asyncio.run's work).
scripts/asyncio-gather times the same sleeps in a plain asyncio.gather.
Set LOOP = "uvloop" to run them on uvloop where it is installed.
"""
import asyncio

KIND = "io"
PARAMS = {
    "tasks": {"type": "int", "default": {"tiny": 100, "default": 1000}, "min": 1, "help": "tasks"},
    "latency": {"type": "time", "default": "10ms", "min": 0, "max": 60, "help": "each task's asyncio.sleep"},
}

latency = 0.0


def setup(params):
    global latency
    latency = params["latency"]
    return params["tasks"]


async def task(i):
    await asyncio.sleep(latency)
    return i
