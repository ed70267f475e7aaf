"""The shipped nginx configuration (deploy/nginx/qep.conf and qep-locations.conf), rendered to run
unprivileged in a temp dir: its upstream lines pointed at the test's app processes, its server
listening on a loopback port, its include pointed at the repository's qep-locations.conf — every
other line as shipped. Only the main ``nginx.conf`` around it (pid, logs, temp paths) is the test's.
Used by tests/test_deploy.py (``nginx -t``) and tests/browser/test_nginx.py (the journey)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

NGINX_DIR = Path(__file__).resolve().parent.parent / "deploy" / "nginx"
SNIPPET = "/etc/nginx/snippets/qep-locations.conf"
#: What the test's access log says of each request: which process served it, for which routing cookie.
ACCESS_FORMAT = '$upstream_addr "$cookie_qep_route" $status "$request"'


def render_site(listen_port: int, app_ports: Sequence[int]) -> str:
    """deploy/nginx/qep.conf with the test's ports and the repository's snippet path."""
    site = (NGINX_DIR / "qep.conf").read_text(encoding="utf-8")
    upstream = re.search(r"^(\s*)server 127\.0\.0\.1:\d+ ([^;]*);.*\n(?:\s*server 127\.0\.0\.1:.*\n)*", site, re.MULTILINE)
    assert upstream, "no upstream server lines in deploy/nginx/qep.conf"
    indent, params = upstream.group(1), upstream.group(2)
    servers = "".join(f"{indent}server 127.0.0.1:{port} {params};\n" for port in app_ports)
    site = site[:upstream.start()] + servers + site[upstream.end():]
    assert site.count(SNIPPET) >= 1 and re.search(r"^\s*listen 80;", site, re.MULTILINE)
    site = site.replace(SNIPPET, str(NGINX_DIR / "qep-locations.conf"))
    site = re.sub(r"^(\s*)listen 80;", rf"\1listen 127.0.0.1:{listen_port};", site, flags=re.MULTILINE)
    return re.sub(r"^\s*listen \[::\]:80;\n", "", site, flags=re.MULTILINE)


def render_nginx(prefix: Path, listen_port: int, app_ports: Sequence[int]) -> Path:
    """The main configuration for ``nginx -p PREFIX -c PATH`` (returned), around the rendered site."""
    (prefix / "qep.conf").write_text(render_site(listen_port, app_ports), encoding="utf-8")
    temp = prefix / "temp"
    temp.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would otherwise be nobody: no temp dir
    main = prefix / "nginx.conf"
    main.write_text(f"""{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    log_format qep '{ACCESS_FORMAT}';
    access_log {prefix}/access.log qep;
    include {prefix}/qep.conf;
}}
""", encoding="utf-8")
    return main
