#!/usr/bin/env python3
"""Second reference server for `make bench`: a Python file server with sendfile downloads and
durable uploads, the kind of small server one writes for a Pi.

- GET of a file: os.sendfile from the page cache, with a single `Range: bytes=a-b` (206).
- GET of a folder (a path ending in /): a JSON array of {name, type, size, mtime}, like nginx's
  `autoindex_format json`.
- PUT: the body streamed to a temporary file on the same filesystem, fsynced, renamed into place,
  and the folder fsynced: the same durability as the daemon (nginx fsyncs neither).

No authentication, no index, no quotas: what is left is the cost of HTTP and the disk.

--group-commit (`run.ts --proposals`: the design proposed for small durable uploads, measured
before it is built): a PUT writes its file and renames it without fsync, then waits for a
syncfs(2) of the whole filesystem that began after its rename. One syncfs at a time runs for
every upload that arrived meanwhile, instead of two fsyncs per file.

Usage: pyserver.py ROOT PORT [--group-commit]
"""
import ctypes
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

ROOT = os.path.abspath(sys.argv[1])
PORT = int(sys.argv[2])
GROUP_COMMIT = '--group-commit' in sys.argv[3:]
TMP = os.path.join(ROOT, '.tmp')
os.makedirs(TMP, exist_ok=True)
_seq = 0
_seq_lock = threading.Lock()


class GroupSync:
    """syncfs(2) shared by every caller that arrived while the previous one ran (a group commit)."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.cond = threading.Condition()
        self.started = 0
        self.done = 0
        self.running = False

    def sync(self):
        with self.cond:
            need = self.started + 1  # a syncfs that starts after this call: it covers our writes
            while self.done < need:
                if self.running:
                    self.cond.wait()
                    continue
                self.running = True
                self.started += 1
                gen = self.started
                self.cond.release()
                try:
                    if self.libc.syncfs(self.fd) != 0:
                        raise OSError(ctypes.get_errno(), 'syncfs failed')
                finally:
                    self.cond.acquire()
                    self.running = False
                    self.done = gen
                    self.cond.notify_all()


GROUP = GroupSync(ROOT) if GROUP_COMMIT else None


def next_tmp():
    global _seq
    with _seq_lock:
        _seq += 1
        return os.path.join(TMP, f'{os.getpid()}-{_seq}')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stall

    def log_message(self, *args):
        pass

    def target(self):
        rel = unquote(self.path.split('?', 1)[0])
        full = os.path.normpath(os.path.join(ROOT, rel.lstrip('/')))
        if full != ROOT and not full.startswith(ROOT + os.sep):
            return None
        return full

    def fail(self, code, text):
        body = (text + '\n').encode()
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.target()
        if path is None:
            return self.fail(400, 'bad path')
        if self.path.endswith('/'):
            return self.listing(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return self.fail(404, 'not found')
        try:
            size = os.fstat(fd).st_size
            start, end, status = 0, size - 1, 200
            rng = self.headers.get('Range')
            if rng and rng.startswith('bytes='):
                a, _, b = rng[6:].partition('-')
                start = int(a) if a else max(0, size - int(b))
                end = min(int(b), size - 1) if a and b else size - 1
                if start > end or start >= size:
                    return self.fail(416, 'range not satisfiable')
                status = 206
            self.send_response(status)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Content-Length', str(end - start + 1))
            if status == 206:
                self.send_header('Content-Range', f'bytes {start}-{end}/{size}')
            self.end_headers()
            self.wfile.flush()
            offset, left = start, end - start + 1
            out = self.connection.fileno()
            while left > 0:
                sent = os.sendfile(out, fd, offset, min(left, 1 << 30))
                if sent == 0:
                    break
                offset += sent
                left -= sent
        finally:
            os.close(fd)

    def listing(self, path):
        try:
            entries = [
                {'name': e.name, 'type': 'directory' if e.is_dir(follow_symlinks=False) else 'file',
                 'size': e.stat(follow_symlinks=False).st_size, 'mtime': e.stat(follow_symlinks=False).st_mtime}
                for e in os.scandir(path)
            ]
        except OSError:
            return self.fail(404, 'not found')
        body = json.dumps(entries).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        path = self.target()
        length = self.headers.get('Content-Length')
        if path is None or path == ROOT or length is None:
            self.close_connection = True
            return self.fail(400, 'bad path or no Content-Length')
        left = int(length)
        folder = os.path.dirname(path)
        tmp = next_tmp()
        try:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 20))
                    if not chunk:
                        raise OSError('body ended early')
                    os.write(fd, chunk)
                    left -= len(chunk)
                if not GROUP:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, path)
            if GROUP:
                GROUP.sync()
            else:
                dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            self.close_connection = True
            return self.fail(500, str(e))
        self.send_response(201)
        self.send_header('Content-Length', '0')
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


if __name__ == '__main__':
    Server(('127.0.0.1', PORT), Handler).serve_forever()
