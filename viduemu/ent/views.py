"""How a task looks on the wire: the create answer and the creations query (also the callback body)."""

from __future__ import annotations

from viduemu.ent.tasks import iso


def create_view(task: dict) -> dict:
    return {"task_id": task["task_id"], "type": task["type"], "state": task["state"], **task["fields"],
            "off_peak": task["off_peak"], "credits": task["credits"], "created_at": iso(task["created_at"])}


def creations_view(task: dict, base_url: str) -> dict:
    fields = task["fields"]
    return {"id": task["task_id"], "state": task["state"], "err_code": task["err_code"],
            "credits": task["credits"], "payload": fields.get("payload", ""), "bgm": bool(fields.get("bgm", False)),
            "off_peak": task["off_peak"],
            "creations": [{"id": c["id"], "url": base_url + c["url"], "cover_url": base_url + c["cover_url"]}
                          for c in task["creations"]]}
