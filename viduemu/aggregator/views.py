"""The aggregator dialect's task object (the GET answer, the create answer and the callback body)."""

from __future__ import annotations

import json
from collections.abc import Callable

from viduemu.aggregator import rules
from viduemu.vidu.tasks import Task

STATUS = {"created": "pending", "queueing": "pending", "processing": "processing", "success": "completed",
          "failed": "failed"}


def task_view(task: Task, link: Callable[[str], str], now: float) -> dict:
    """``link``: a served file's path -> the (signed) URL handed out for it now (Core.linker)."""
    status = STATUS[task.state]
    body = {"id": task.task_id, "created_at": int(task.created_at), "status": status, "model": task.type,
            "progress": _progress(task, now), "metadata": {}}   # "metadata object": present in every status
    if status == "completed" and task.result is not None:
        body["output"] = [{"content": [{"type": "text", "text": json.dumps(task.result, ensure_ascii=False)}]}]
        body["usage"] = {"cost": f"{task.credits * rules.USD_PER_CREDIT:.4f}", "discount": 0}
    elif status == "completed":
        body["output"] = [{"content": [{"type": "video", "url": link(c["url"]),
                                        "duration": task.fields["duration"]} for c in task.creations]}]
        body["usage"] = {"cost": f"{task.credits * rules.USD_PER_CREDIT:.4f}", "discount": 0}
    if status == "failed":
        code = task.err_code if task.err_code in rules.MESSAGES else rules.GENERATION_FAILED
        body["error"] = {"code": code, "error_message": f"{rules.MESSAGES[code]} ({task.err_code})"}
    return body


def _progress(task: Task, now: float) -> float:
    if task.state in ("success", "failed"):
        return 1.0
    if task.state != "processing" or not task.finish_at or task.started_at is None:
        return 0.0
    span = task.finish_at - task.started_at
    return round(min(0.99, max(0.0, (now - task.started_at) / span)) if span > 0 else 0.0, 2)
