#!/usr/bin/env python3
"""smtp_sink.py: a real SMTP server on loopback for the mail tests (Debian's python3-aiosmtpd).

    smtp_sink.py --dir MAILDIR --port-file FILE [--seconds 60]

Listens on 127.0.0.1 on a free port and writes that port to FILE (atomically) once it
accepts connections. Every message it receives is written to MAILDIR as N.eml (the bytes
exactly as the client sent them after DATA) with N.env beside it (MAIL FROM, then one RCPT TO
per line); each file appears by rename, so a reader never sees half a message. Stops on
SIGTERM or SIGINT, or by itself after --seconds, so that a test can never leave it running.
"""
import argparse
import asyncio
import os
import signal

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    def _write(self, name, data):
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.folder, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        env = "\n".join([envelope.mail_from] + list(envelope.rcpt_tos)) + "\n"
        self._write("%d.env" % self.count, env.encode("utf-8"))
        self._write("%d.eml" % self.count, envelope.original_content)
        return "250 OK stored as %d" % self.count


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.localhost"), host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.seconds)
    except asyncio.TimeoutError:
        pass
    server.close()
    await server.wait_closed()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--seconds", type=float, default=60.0)
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
