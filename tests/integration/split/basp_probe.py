#!/usr/bin/env python3
"""Probe (issue 18.1) a kiro-supervisor's inter-daemon port: RSS before/peak after a BASP
client_handshake header announcing 4 GiB; then whether an empty client
handshake kills it. usage: basp_probe.py BIN_DIR"""
import json, os, socket, struct, subprocess, sys, tempfile, time

bin_dir = sys.argv[1]

def start():
    d = tempfile.mkdtemp()
    json.dump({"host": "127.0.0.1", "logDir": d + "/logs"}, open(d + "/server-config.json", "w"))
    p = subprocess.Popen([bin_dir + "/kiro-supervisor", "--config-dir", d, "--supervisor-port", "0",
                          "--health-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    line = p.stdout.readline()
    return p, int(line.split("cluster=")[1].split()[0].rsplit(":", 1)[1])

sup, port = start()

def status(field):
    for l in open(f"/proc/{sup.pid}/status"):
        if l.startswith(field + ":"):
            return int(l.split()[1])

def header(op, length):
    return struct.pack(">BBBBIQQQ", op, 0, 0, 0, length, 0, 0, 0)

time.sleep(0.5)
before = status("VmRSS")
s = socket.create_connection(("127.0.0.1", port))
s.sendall(header(1, 0xFFFFFFFF))
t0 = time.time()
s.settimeout(15)
closed = False
try:
    while True:
        b = s.recv(4096)
        if not b:
            closed = True
            break
except (socket.timeout, ConnectionResetError) as e:
    closed = isinstance(e, ConnectionResetError)
waited = time.time() - t0
peak = status("VmHWM")
print(f"4 GiB header: RSS before {before/1024:.1f} MB, peak {peak/1024:.1f} MB "
      f"(+{(peak-before)/1024:.1f} MB), closed by supervisor: {closed} after {waited:.2f} s")
s.close()
sup.kill()
sup, port = start()
time.sleep(0.3)
e = socket.create_connection(("127.0.0.1", port))
e.sendall(header(1, 0))
time.sleep(1.5)
print("empty client handshake: supervisor", "alive" if sup.poll() is None else f"died (exit {sup.returncode})")
sup.kill()
