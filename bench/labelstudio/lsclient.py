"""A tiny client for the Label Studio API, used by make_fixtures.py and the interop check.

Standard library only (urllib), so neither needs anything installed into TrainerDesk's
environment; Label Studio itself runs from its own virtualenv (see README, "Label Studio").
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid

URL = os.environ.get("LABEL_STUDIO_URL", "http://127.0.0.1:8091")
TOKEN = os.environ.get("LABEL_STUDIO_TOKEN", "")


class LabelStudioError(RuntimeError):
    pass


class Client:
    def __init__(self, url: str = URL, token: str = TOKEN, timeout: float = 120) -> None:
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def request(self, method: str, path: str, body=None, *, raw: bool = False, form=None):
        headers = {"Authorization": f"Token {self.token}"}
        data = None
        if form is not None:  # one file as multipart/form-data
            name, content = form
            boundary = uuid.uuid4().hex
            data = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                ).encode()
                + content
                + f"\r\n--{boundary}--\r\n".encode()
            )
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - local LS
                content = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:2000]
            raise LabelStudioError(f"{method} {path}: HTTP {e.code}: {detail}") from None
        if raw:
            return content
        return json.loads(content) if content else None

    def reachable(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=3) as resp:  # noqa: S310
                return resp.status == 200
        except OSError:
            return False

    def user(self, email: str) -> int:
        """The id of the organization member with this email, created if missing."""
        page = self.request("GET", "/api/users/")
        for u in page if isinstance(page, list) else page.get("results", []):
            if u["email"] == email:
                return u["id"]
        return self.request(
            "POST", "/api/users/", {"email": email, "username": email.split("@")[0]}
        )["id"]

    def project(self, title: str, config: str) -> int:
        return self.request("POST", "/api/projects/", {"title": title, "label_config": config})[
            "id"
        ]

    def import_tasks(self, project: int, tasks: list[dict]) -> dict:
        return self.request("POST", f"/api/projects/{project}/import", tasks)

    def import_file(self, project: int, name: str, content: bytes) -> dict:
        return self.request("POST", f"/api/projects/{project}/import", form=(name, content))

    def tasks(self, project: int) -> list[dict]:
        out, page = [], 1
        while True:
            got = self.request(
                "GET", f"/api/tasks/?project={project}&page={page}&page_size=100&fields=all"
            )
            batch = got["tasks"] if isinstance(got, dict) else got
            out += batch
            if len(batch) < 100:
                return out
            page += 1

    def annotate(self, task: int, result: list[dict], user: int) -> dict:
        return self.request(
            "POST", f"/api/tasks/{task}/annotations/", {"result": result, "completed_by": user}
        )

    def export(self, project: int, export_type: str) -> bytes:
        return self.request(
            "GET",
            f"/api/projects/{project}/export?exportType={export_type}&download_all_tasks=true",
            raw=True,
        )

    def snapshot(self, project: int) -> bytes:
        """A snapshot export with full predictions (the plain JSON export has their ids)."""
        snap = self.request(
            "POST",
            f"/api/projects/{project}/exports/",
            {"serialization_options": {"predictions": {"only_id": False}}},
        )
        return self.request(
            "GET",
            f"/api/projects/{project}/exports/{snap['id']}/download?exportType=JSON",
            raw=True,
        )
