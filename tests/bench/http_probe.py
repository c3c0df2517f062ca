#!/usr/bin/env python3
"""Probes a kiro-bridge's HTTP layer with raw sockets (issue 17 section 1,
issue 18 items 2 and 8) and prints one table row per probe. Loopback only;
every probe is bounded in count and time. Numbers are reported, never
asserted (the unit tests in tests/unit/http assert the behaviour).

  tests/bench/http_probe.py BRIDGE_BINARY [--label NAME] [--idle 600]
                            [--storm 40] [--storm-mb 40]

It starts the bridge with an empty config directory (no accounts) on a free
port, and measures:
  smuggling   requests of the CL.TE / TE.CL / TE.TE kinds and friends whose
              hidden `GET /v1/models/SMUGGLED` got an answer of its own
  garbage     whether a TLS hello sent to the plain port gets any answer
  idle        latency of one request while N idle connections are held
              (connected and silent), and while N connections
              hold half-sent header blocks (slowloris)
  storm RSS   the bridge's RSS before and after N rejected chunked uploads of
              M MB (over the 32 MB limit), 8 at a time
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SMUGGLED = b"GET /v1/models/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_for(s, seconds):
    """Everything the server sends within `seconds` or until it closes."""
    s.settimeout(0.2)
    out = b""
    end = time.time() + seconds
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not b:
            break
        out += b
    return out


def smuggling_cases():
    cl_te = b"0\r\n\r\n" + SMUGGLED
    te_cl = b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n"

    def post(fields, body):
        return b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n" + body

    return [
        ("CL.TE", post(b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(cl_te), cl_te)),
        ("TE.CL", post(b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", te_cl)),
        ("TE.TE space", post(b"Content-Length: 4\r\nTransfer-Encoding : chunked\r\n", te_cl)),
        ("TE.TE repeated", post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", te_cl)),
        ("CL space", post(b"Content-Length : %d\r\n" % len(SMUGGLED), SMUGGLED)),
        ("TE gzip", post(b"Transfer-Encoding: gzip\r\n", SMUGGLED)),
        ("obs-fold TE", post(b"X: a\r\n Transfer-Encoding: chunked\r\n", te_cl)),
    ]


def probe_smuggling(port):
    served = []
    for name, payload in smuggling_cases():
        s = connect(port)
        s.sendall(payload)
        out = read_for(s, 2.0)
        s.close()
        answers = out.count(b"HTTP/1.1 ")
        if answers > 1 or b"SMUGGLED" in out:
            served.append(name)
    return len(served), len(smuggling_cases()), served


def probe_garbage(port):
    s = connect(port)
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    out = read_for(s, 3.0)
    s.close()
    return out.split(b"\r\n", 1)[0].decode(errors="replace") if out else "no answer in 3 s"


def request_latency(port, path=b"/v1/models"):
    start = time.perf_counter()
    s = connect(port, timeout=150)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out = b""
    s.settimeout(150)
    while b"\r\n\r\n" not in out:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return (time.perf_counter() - start) * 1000, out.split(b"\r\n", 1)[0].decode(errors="replace")


def probe_idle(port, count):
    # Connected and silent (as idle keep-alive connections are), opened in
    # one quick batch: all are within the keep-alive timeout when the
    # request is timed.
    held = [connect(port) for _ in range(count)]
    time.sleep(0.2)
    samples = [request_latency(port) for _ in range(5)]
    for s in held:
        s.close()
    return max(ms for ms, _ in samples), samples[0][1]


def probe_slowloris(port, count):
    # Connections that sent the start of a header block and then wait.
    held = [connect(port) for _ in range(count)]
    for s in held:
        s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.5)
    samples = [request_latency(port) for _ in range(3)]
    for s in held:
        s.close()
    return max(ms for ms, _ in samples), samples[0][1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def upload(port, megabytes):
    chunk = b"x" * 65536
    piece = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    try:
        s = connect(port, timeout=30)
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(megabytes * 16):
            s.sendall(piece)
        s.sendall(b"0\r\n\r\n")
        status = s.recv(64).split(b"\r\n", 1)[0]
    except OSError:
        status = b"reset"
    finally:
        s.close()
    return status


def probe_storm(pid, port, count, megabytes):
    time.sleep(0.5)
    before = rss_kib(pid)
    statuses = []
    lock = threading.Lock()
    todo = list(range(count))

    def client():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            st = upload(port, megabytes)
            with lock:
                statuses.append(st)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(1.0)
    after = rss_kib(pid)
    refused = sum(1 for st in statuses if b" 413 " in st or b" 503 " in st)
    return before, after, refused


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bridge")
    ap.add_argument("--label", default="")
    ap.add_argument("--idle", type=int, default=600)
    ap.add_argument("--storm", type=int, default=40)
    ap.add_argument("--storm-mb", type=int, default=40)
    args = ap.parse_args()

    conf = tempfile.mkdtemp(prefix="http_probe.")
    port = free_port()
    with open(os.path.join(conf, "server-config.json"), "w") as f:
        f.write('{"host": "127.0.0.1", "port": %d, "logDir": "%s/logs", "logLevel": "error"}'
                % (port, conf))
    proc = subprocess.Popen([args.bridge, "--config-dir", conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                connect(port, timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        served, total, which = probe_smuggling(port)
        garbage = probe_garbage(port)
        slow_ms, slow_status = probe_slowloris(port, args.idle)
        time.sleep(1.0)
        idle_ms, idle_status = probe_idle(port, args.idle)
        before, after, refused = probe_storm(proc.pid, port, args.storm, args.storm_mb)
        label = args.label or args.bridge
        print(f"| probe | {label} |")
        print("|---|---|")
        print(f"| smuggled requests served | {served}/{total} {' '.join(which)} |")
        print(f"| TLS hello on the plain port | {garbage} |")
        print(f"| request with {args.idle} idle conns held (slowest of 5) | {idle_ms:.1f} ms ({idle_status}) |")
        print(f"| request with {args.idle} half-sent header blocks held (slowest of 3) | {slow_ms:.1f} ms ({slow_status}) |")
        print(f"| RSS before / after {args.storm} × {args.storm_mb} MB rejected uploads"
              f" ({refused} refused) | {before / 1024:.1f} MiB / {after / 1024:.1f} MiB |")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(conf, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
