"""A real SMTP server on 127.0.0.1 for the outbox tests: it speaks enough of the protocol for
Django's SMTP backend, counts the connections it accepts and keeps each message, and can drop
a connection after a given number of messages, as a server closing an idle or busy link does."""

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    connections: int = 0
    messages: list[str] = field(default_factory=list)
    drop_after: int | None = None  # close a connection after this many messages on it
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(box: Mailbox) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())

        def handle(self) -> None:
            with box.lock:
                box.connections += 1
            sent_here = 0
            self.reply("220 127.0.0.1 ready")
            while line := self.rfile.readline():
                command = line.decode().strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    self.reply("250 127.0.0.1")
                elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                    self.reply("250 OK")
                elif command == "DATA":
                    self.reply("354 End with a line holding a dot")
                    body = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        body.append(data.decode())
                    with box.lock:
                        box.messages.append("".join(body))
                    sent_here += 1
                    self.reply("250 Queued")
                    if box.drop_after is not None and sent_here >= box.drop_after:
                        return  # the server hangs up without a word
                elif command == "QUIT":
                    self.reply("221 Bye")
                    return
                else:
                    self.reply("502 Not implemented")

    return Handler


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A mailbox and the port of its server, serving until the block ends."""
    box = Mailbox()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
