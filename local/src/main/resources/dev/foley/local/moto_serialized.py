"""Starts moto_server (same arguments) with requests handled one at a time.

moto_server runs werkzeug threaded, and moto's DynamoDB does not lock an item between a
condition check and the write: two racing conditional writes can both succeed there, which real
DynamoDB never allows. Serialising requests restores DynamoDB's per-item atomicity while keeping
HTTP/1.1 keep-alive. Written by ./foley next to its data; not a fake of any API: it is moto.
"""
import sys
import threading

import moto.server as server

_run_simple = server.run_simple
_lock = threading.Lock()


def _serialised(app):
    def wrapped(environ, start_response):
        with _lock:
            # Consume the response inside the lock so no two requests interleave.
            return list(app(environ, start_response))
    return wrapped


def run_simple(host, port, app, **kwargs):
    return _run_simple(host, port, _serialised(app), **kwargs)


server.run_simple = run_simple

if __name__ == "__main__":
    server.main(sys.argv[1:])
