"""A Python plugin that tries everything the sandbox forbids.

`params.mode` picks the misbehaviour:

- `escape` (default): tries to read and write files, list `/`, read the
  host's environment, resolve a name and connect to `params.port` on
  127.0.0.1 (through `wasi:sockets`, see `wit/hostile.wit`), and reports
  what happened as JSON in chart_data's first note; the sandbox tests
  check that every attempt failed.
- `spin`: never returns (the deadline must stop it: PLUGIN_TIMEOUT).
- `bomb`: allocates until refused (PLUGIN_OOM).
"""

import json
import os

import wit_world
from wit_world.imports import instance_network, ip_name_lookup, network, tcp_create_socket, types

# Imports happen here, at build time: componentize-py snapshots the
# initialised interpreter, and at run time there is no filesystem to load
# a module from.


def attempt(action):
    """Runs `action`, returning what it got or the error that stopped it."""
    try:
        return {"ok": True, "value": repr(action())[:300]}
    except BaseException as e:  # anything the sandbox raises counts as refused
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}


def connect(port):
    """A TCP connection to 127.0.0.1:`port` through `wasi:sockets`, the
    interface the sandbox links for CPython (whose `socket` module does not
    exist on WASI, so the Python runtime cannot be what refuses)."""
    net = instance_network.instance_network()
    sock = tcp_create_socket.create_tcp_socket(network.IpAddressFamily.IPV4)
    address = network.Ipv4SocketAddress(port=port, address=(127, 0, 0, 1))
    sock.start_connect(net, network.IpSocketAddress_Ipv4(address))
    sock.subscribe().block()
    _, out = sock.finish_connect()
    out.blocking_write_and_flush(b"escaped")
    return "connected"


def resolve(name):
    stream = ip_name_lookup.resolve_addresses(instance_network.instance_network(), name)
    stream.subscribe().block()
    return stream.resolve_next_address()


def python_socket():
    """The standard library's way, for the record: CPython on WASI has no
    `socket` module, so this fails before the sandbox is asked."""
    import socket

    return socket.socket()


class WitWorld(wit_world.WitWorld):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            key="hostile_python",
            version="0.1.0",
            name="Hostile Python",
            description="Sandbox test plugin: tries files, sockets and the environment.",
            params_schema='{"type": "object"}',
            required_facets=[],
        )

    def render(self, data, params, style):
        p = json.loads(params or "{}")
        mode = p.get("mode", "escape")
        if mode == "spin":
            n = 0
            while True:
                n += 1
        if mode == "bomb":
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
        tries = {
            "open_file": attempt(lambda: open(p.get("file", "/etc/hostname")).read(64)),
            "write_file": attempt(lambda: open("/tmp/patchart-escape", "w").write("x")),
            "list_root": attempt(lambda: os.listdir("/")),
            "environ": attempt(lambda: dict(os.environ)),
            "getenv": attempt(lambda: os.environ[p.get("env", "HOME")]),
            "socket": attempt(lambda: connect(int(p.get("port", 9)))),
            "resolve": attempt(lambda: resolve("localhost")),
            "python_socket": attempt(python_socket),
        }
        chart_data = {
            "schema_version": 1,
            "type": "bar",
            "algorithm": "hostile_python",
            "title": "Hostile Python",
            "locale": "en",
            "series": [],
            "totals": {},
            "notes": [json.dumps(tries)],
            "warnings": [],
        }
        return types.Chart(
            svg='<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            chart_data=json.dumps(chart_data),
            warnings=[],
        )
