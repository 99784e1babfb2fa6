"""Starts moto_server (same arguments) with requests handled one at a time.

moto_server runs werkzeug threaded, and moto's DynamoDB does not lock an item between a
condition check and the write: two racing conditional writes can both succeed there, which real
DynamoDB never allows. Serialising requests restores DynamoDB's per-item atomicity while keeping
HTTP/1.1 keep-alive. Written by ./foley next to its data; not a fake of any API: it is moto.
"""
import io
import sys
import threading

import moto.server as server

_run_simple = server.run_simple
_lock = threading.Lock()


def _serialised(app):
    def wrapped(environ, start_response):
        # Read the request body before taking the lock: a client that sends its body slowly (or
        # stalls) must only hold up its own request, never everybody's.
        stream = environ.get("wsgi.input")
        length = environ.get("CONTENT_LENGTH")
        if stream is not None:
            if length:
                body = stream.read(int(length))
            elif environ.get("wsgi.input_terminated"):
                body = stream.read()
            else:
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            if not length and body:
                environ["CONTENT_LENGTH"] = str(len(body))
        with _lock:
            # Consume the response inside the lock so no two requests interleave.
            return list(app(environ, start_response))
    return wrapped


def run_simple(host, port, app, **kwargs):
    return _run_simple(host, port, _serialised(app), **kwargs)


server.run_simple = run_simple

if __name__ == "__main__":
    server.main(sys.argv[1:])
