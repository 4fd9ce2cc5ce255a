#!/usr/bin/env python3
"""watch-cost.py - the watcher's own CPU cost (docs/performance.md, "Automatic capture").

Starts a busy Go process (the churn sample: allocates without pause on every core it gets),
then `heapwalk watch --pid` on it at the default interval with thresholds it never reaches,
for DURATION seconds (default 60), and reads heapwalk's utime + stime from /proc/PID/stat.
Prints the CPU used as a percentage of one core. Not a test: numbers depend on the machine.

  watch-cost.py HEAPWALK SAMPLES_DIR [DURATION]
"""
import os, subprocess, sys, tempfile, time

hw, samples = sys.argv[1], sys.argv[2]
duration = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
tick = os.sysconf("SC_CLK_TCK")
busy = subprocess.Popen([os.path.join(samples, "churn")], stdout=subprocess.DEVNULL)
time.sleep(1)
with tempfile.TemporaryDirectory() as d:
    w = subprocess.Popen([hw, "watch", "--pid", str(busy.pid), "--limit", "1T", "-o", d],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(duration)
    f = open("/proc/%d/stat" % w.pid).read().rsplit(")", 1)[1].split()
    cpu = (int(f[11]) + int(f[12])) / tick   # utime, stime (fields 14 and 15)
    w.terminate()
    w.wait()
    busy.kill()
    busy.wait()
print("watched a busy Go process for %.0f s: heapwalk used %.3f s of CPU = %.3f%% of one core"
      % (duration, cpu, 100.0 * cpu / duration))
