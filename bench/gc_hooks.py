"""gunicorn config for the profiled server (bench/profile_server.py): every worker times its own garbage collections.

A sampling profiler does not see the collector (it runs inside allocations, in C), so each worker counts its
collections and their CPU time per generation through gc.callbacks (CPU time: a collection never waits for I/O, and
wall time would count the waits for a core on a busy machine), and a thread writes the totals every half second to
$BENCH_GC_DIR/gc-<pid>.json for bench/profile_server.py to read before and after a window.
"""

import gc
import json
import os
import threading
import time
from pathlib import Path


def post_fork(server, worker):
    directory = Path(os.environ["BENCH_GC_DIR"])
    totals = {"collections": [0, 0, 0], "seconds": [0.0, 0.0, 0.0]}
    started = {}

    def callback(phase, info):
        if phase == "start":
            started["at"] = time.thread_time()
        elif "at" in started:
            generation = info["generation"]
            totals["collections"][generation] += 1
            totals["seconds"][generation] += time.thread_time() - started.pop("at")

    def write():
        path = directory / f"gc-{os.getpid()}.json"
        while True:
            path.write_text(json.dumps(totals))
            time.sleep(0.5)

    gc.callbacks.append(callback)
    threading.Thread(target=write, daemon=True).start()
