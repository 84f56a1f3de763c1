"""Serve an emulator on a real socket from a background thread."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """Keep test output clean: no access log line per request."""

    def log_request(self, code="-", size="-"):
        pass


class EmulatorServer:
    """A threaded HTTP server for one emulator; usable as a context manager."""

    def __init__(self, emulator, host="127.0.0.1", port=0, quiet=True):
        self.emulator = emulator
        self.host = host
        self.port = port
        self.quiet = quiet
        self._server = None
        self._thread = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def _bind(self):
        handler = QuietRequestHandler if self.quiet else WSGIRequestHandler
        server = make_server(
            self.host,
            self.port,
            self.emulator.wsgi_app,
            threaded=True,
            request_handler=handler,
        )
        self.port = server.server_port
        self.emulator.base_url = self.url
        return server

    def start(self):
        self._server = self._bind()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"salesforce-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    def wait(self):
        """Block until the server stops (the CLI's main loop)."""
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
