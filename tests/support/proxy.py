"""nginx in front of survey servers, with the site of ``deploy/nginx`` filled in (what ``envsubst`` does).

Debian's nginx (``/usr/sbin/nginx``) runs unprivileged-port, in the foreground, with its own prefix
folder (temporary files, pid, error log) and TLS with a throw-away certificate.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import psutil

from .server import free_port, spawn, stop, wait_for_port

NGINX = "/usr/sbin/nginx"
TEMPLATE = Path(__file__).parents[2] / "deploy" / "nginx" / "zuofeng-survey.conf.template"
MAIN = Path(__file__).parents[2] / "deploy" / "nginx" / "nginx-main.conf.example"


def nginx_available() -> bool:
    return Path(NGINX).exists() and shutil.which("openssl") is not None


def render_site(ports: list[int], https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """The deploy template with its ``${ZF_...}`` names filled in, nginx's own ``$names`` kept."""
    values = {"ZF_SERVER_NAME": "localhost", "ZF_HTTP_PORT": str(http_port), "ZF_HTTPS_PORT": str(https_port),
              "ZF_CERT": str(cert), "ZF_CERT_KEY": str(key),
              "ZF_UPSTREAMS": " ".join(f"server 127.0.0.1:{p};" for p in ports)}
    out = re.sub(r"\$\{(ZF_[A-Z_]+)\}", lambda m: values[m.group(1)], TEMPLATE.read_text(encoding="utf-8"))
    if "${" in out:
        raise AssertionError("a ZF_ name of the template is not filled in")
    return out


def main_config(folder: Path) -> str:
    """``deploy/nginx/nginx-main.conf.example`` for a prefix folder: its pid, logs and temporary files there,
    the site of ``folder/site.conf`` included, no ``user`` switch unless run as root."""
    text = MAIN.read_text(encoding="utf-8")
    text = re.sub(r"^user [^;]+;", "user root;" if os.geteuid() == 0 else "", text, flags=re.MULTILINE)
    text = text.replace("/run/nginx.pid", str(folder / "nginx.pid"))
    text = text.replace("/var/log/nginx/error.log", str(folder / "error.log"))
    text = text.replace("include /etc/nginx/conf.d/*.conf;", f"include {folder / 'site.conf'};\n"
                        f"    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;\n"
                        f"    fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi;"
                        f" scgi_temp_path {folder}/scgi;")
    for system in ("include /etc/nginx/mime.types;", "include /etc/nginx/modules-enabled/*.conf;"):
        text = text.replace(system, "")
    return "daemon off;\n" + text


class Proxy:
    """nginx with TLS on a free port in front of the survey servers on ``ports``; ``url`` is its https address."""

    def __init__(self, folder: Path, ports: list[int]):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        cert, key = self.folder / "cert.pem", self.folder / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        self.https, self.http = free_port(), free_port()
        (self.folder / "site.conf").write_text(render_site(ports, self.https, self.http, cert, key), encoding="utf-8")
        conf = self.folder / "nginx.conf"
        conf.write_text(main_config(self.folder), encoding="utf-8")
        argv = [NGINX, "-p", str(self.folder), "-c", str(conf)]
        test = subprocess.run([*argv, "-t"], check=False, capture_output=True, text=True)
        if test.returncode != 0:
            raise AssertionError(test.stderr)
        self.error_log = self.folder / "error.log"
        self.proc = spawn(argv, cwd=self.folder, log=self.folder / "nginx.out")
        self.ps = psutil.Process(self.proc.pid)
        wait_for_port(self.https, self.proc, timeout=20, what="nginx")
        self.url = f"https://127.0.0.1:{self.https}/"

    def errors(self) -> list[str]:
        """The error log's lines (warnings and worse)."""
        return self.error_log.read_text(encoding="utf-8", errors="replace").splitlines() if self.error_log.exists() else []

    def stop(self) -> None:
        stop(self.proc, timeout=20)
