"""What the input shows about whether a container serves traffic, and whether its pods are
limited to one per node by host ports.

``missing-readiness-probe`` asks this before it claims anything: a readiness probe only matters
for a container something sends traffic to (a Service's endpoints list only Ready pods: K
pkg/controller/endpointslice, ``podutil.IsPodReady``), or whose availability paces a rolling
update. The evidence, strongest first:

* a Service of the input selects the pod (the Service's endpoints are what a readiness probe
  gates; an Ingress or route reaches pods only through such a Service);
* the container declares a port that is not only for metrics or health checks;
* the container runs an image that is a well-known server (nginx, redis, postgres...).

A container that clearly serves nothing (the ``pause`` image, ``sleep infinity``, ``tail -f
/dev/null``, a shell loop around ``sleep``) needs no readiness probe at all.
"""

from __future__ import annotations

import re

from k8slint.model.objects import Container, PodTemplate, as_int, as_list

# Port names that say the port is for monitoring, not for clients: Prometheus scrapes pods
# whether they are Ready or not, and a health port is what the kubelet itself probes.
_MONITORING_PORT = re.compile(r"(?:^|[-_])(?:metrics|prometheus|prom|monitoring|health|healthz|healthcheck|"
                              r"liveness|readiness|probe|probes|debug|pprof|profiling|admin-metrics|"
                              r"telemetry|stats)(?:$|[-_])|^(?:http-)?metrics$|^[a-z-]*metrics$")

# Images whose only job is to serve clients (the last path component, without tag or digest).
_SERVER_IMAGES = frozenset((
    "nginx", "nginx-unprivileged", "openresty", "httpd", "apache", "caddy", "traefik", "haproxy", "envoy",
    "tomcat", "jetty", "wildfly", "redis", "redis-stack", "valkey", "memcached", "postgres", "postgresql",
    "mysql", "mariadb", "mongo", "mongodb", "cassandra", "elasticsearch", "opensearch", "kibana", "grafana",
    "rabbitmq", "kafka", "zookeeper", "nats", "consul", "etcd", "minio", "couchdb", "influxdb", "neo4j",
    "keycloak", "wordpress", "ghost", "jenkins", "registry", "echoserver", "http-echo", "hello-app",
    "httpbin", "whoami",
))
_PAUSE_IMAGES = frozenset(("pause", "pause-amd64", "pause-arm64"))
# A shell command line that waits and does nothing else: `sleep infinity`, `sleep 3600`,
# `tail -f /dev/null`, `while true; do sleep 30; done`, busybox loops that only write a file.
_IDLE_COMMAND = re.compile(
    r"^\s*(?:exec\s+)?(?:sleep\s+(?:infinity|inf|\d+[smhd]?|\d*\.\d+)|tail\s+-f\s+/dev/null|"
    r"cat|read|wait)\s*;?\s*$")
# Commands that set something up and return: a script made of them and ending in a wait serves nothing.
_INERT = frozenset(("touch", "echo", "date", "true", "mkdir", "hostname", "printf", "rm", "cp", "ln", "export", "set",
                    "trap", "chmod", "chown", "ls", "env"))
_LOOP = re.compile(r"\bwhile\s+(?:true|:|\[\s*1\s*\]|\[\s*true\s*\])\s*;?\s*do\b(?P<body>.*?)\bdone\b", re.S)
# Programs that listen (a loop that runs one of them serves).
_LISTENS = re.compile(r"\b(?:nc|ncat|netcat|socat|httpd|http\.server|SimpleHTTPServer|python|node|nginx|"
                      r"java|serve|listen)\b")
_SHELLS = frozenset(("sh", "bash", "ash", "dash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/usr/bin/bash",
                     "/usr/bin/sh", "/bin/busybox", "busybox"))


def image_name(container: Container) -> str:
    """``registry.k8s.io/pause:3.9`` -> ``pause``."""
    image = container.data.get("image")
    if not isinstance(image, str):
        return ""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def serving_image(container: Container) -> str | None:
    """The image name when it is a well-known server."""
    name = image_name(container)
    return name if name in _SERVER_IMAGES else None


def is_monitoring_port(port: dict) -> bool:
    name = port.get("name")
    if not isinstance(name, str):
        return False
    # A run repeats a few port names (http, metrics, grpc) on thousands of containers and Services.
    verdict = _MONITORING_NAMES.get(name)
    if verdict is None:
        if len(_MONITORING_NAMES) >= 4096:
            _MONITORING_NAMES.clear()
        verdict = _MONITORING_NAMES[name] = bool(_MONITORING_PORT.search(name.lower()))
    return verdict


_MONITORING_NAMES: dict[str, bool] = {}  # port name -> is_monitoring_port's verdict


def serving_ports(container: Container) -> list[dict]:
    """The container's declared ports that are not only for metrics or health checks."""
    return [p for p in container.ports if as_int(p.get("containerPort")) and not is_monitoring_port(p)]


# Ports that clients talk to over HTTP or gRPC, by name or by the usual numbers: a container that
# declares one is a server even when no Service of the input selects it yet.
_CLIENT_PORT_NAME = re.compile(r"(?:^|[-_])(?:http|https|http2|h2c|grpc|grpcs|web|www|api)(?:$|[-_])")
_CLIENT_PORT_NUMBERS = frozenset((80, 443, 8080, 8443))


def client_ports(container: Container) -> list[dict]:
    """The serving ports that say they are for HTTP or gRPC clients (by name, or 80/443/8080/8443)."""
    out = []
    for port in serving_ports(container):
        name = port.get("name")
        if (isinstance(name, str) and _CLIENT_PORT_NAME.search(name.lower())) or \
                as_int(port.get("containerPort")) in _CLIENT_PORT_NUMBERS:
            out.append(port)
    return out


def describe_port(port: dict) -> str:
    """'port 8080 ("http")' / 'port 53/UDP'."""
    number = as_int(port.get("containerPort"))
    protocol = port.get("protocol")
    text = f"port {number}" + (f"/{protocol}" if isinstance(protocol, str) and protocol not in ("", "TCP") else "")
    name = port.get("name")
    return text + (f' ("{name}")' if isinstance(name, str) and name else "")


def idle_reason(container: Container) -> str | None:
    """Why the container clearly serves nothing ("runs the pause image", "runs `sleep infinity`"),
    or None. A container that declares a serving port is never idle."""
    if serving_ports(container):
        return None
    if image_name(container) in _PAUSE_IMAGES:
        return "it runs the pause image"
    words = [w for w in as_list(container.data.get("command")) + as_list(container.data.get("args"))
             if isinstance(w, str)]
    if not words:
        return None
    if "/" in words[0]:
        words = [words[0].rsplit("/", 1)[1]] + words[1:]
    script = _script(words)
    if script is None:
        return None
    if _IDLE_COMMAND.match(script):
        return f"it only runs `{script.strip()}`"
    statements = [part.strip() for part in re.split(r"[;\n]|&&", script) if part.strip()]
    if statements and _IDLE_COMMAND.match(statements[-1]) and all(
            _IDLE_COMMAND.match(part) or part.split()[0] in _INERT for part in statements):
        return f"it only runs `{script.strip()}`"  # e.g. `touch /tmp/healthy; sleep 3600`
    loop = _LOOP.search(script)
    if loop is not None and not _LISTENS.search(script) and "sleep" in loop.group("body"):
        return "it only runs a shell loop"
    return None


def _script(words: list[str]) -> str | None:
    """The command line a container runs, as one shell script: ``sh -c "<script>"`` gives the
    script, a plain ``sleep infinity`` its words joined."""
    if words[0] in _SHELLS:
        rest = words[1:]
        if rest and rest[0] == "sh" and words[0].endswith("busybox"):
            rest = rest[1:]
        flags = [w for w in rest if w.startswith("-")]
        others = [w for w in rest if not w.startswith("-")]
        if any("c" in f for f in flags) and others:
            return " ".join(others)
        return None
    return " ".join(words)


def host_ports(template: PodTemplate) -> list[tuple[str, int, str]]:
    """(container name, host port, how) for each host port a pod of ``template`` holds: the
    ports of k8slint.model.host_ports (the one notion, with the NodePorts filter's rules: regular
    containers, hostNetwork defaulting). A pod that uses a host port fits once per node."""
    from k8slint.model.host_ports import host_ports as held_ports

    return [(p.container, p.port, " (hostNetwork: true makes every container port a host port)"
             if p.via_host_network else "") for p in held_ports(template)]
