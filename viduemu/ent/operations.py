"""Every /ent/v2 operation that makes a task: its path, the type of task it makes, the function that
accepts a request into an ``Order`` (its rules checked, its price and its output decided) and the
inputs its answer echoes as given. One handler (``routes.create_task``) serves them all.

The four generation endpoints accept through ``checks.accept`` and the rows of ``rules.ENDPOINTS``;
each family of the other operations has a module of its own (``templates``, ``edits``, ``people``,
``solutions``) reading its tables in ``rules.py`` and its prices in ``pricing.py``. An operation whose
order is more than one task (a one-click film and its parts) names the function that ``make``s them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from viduemu.ent import audio, checks, edits, images, people, rules, solutions, templates

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea
    from viduemu.vidu.tasks import Task

Accept = Callable[["EntArea", str, dict], Awaitable[checks.Order]]
Make = Callable[["EntArea", str, checks.Order], "Task"]   # the task answered for; the order's fields stored


@dataclass(frozen=True)
class Operation:
    task_type: str
    accept: Accept
    echo: tuple[str, ...] = ()   # inputs answered as given (the task keeps only their stored form)
    answer: tuple[str, ...] = () # when set: the only keys of the create answer (a documented answer narrower than ours)
    make: Make | None = None     # makes the tasks of an order that is more than one task
    also_id: bool = False        # the answer carries the task id as "id" too


def _generation(kind: str) -> Operation:
    async def accept(ent: EntArea, api_key: str, body: dict) -> checks.Order:
        return await checks.accept(ent, api_key, kind, body)

    return Operation(rules.ENDPOINTS[kind].task_type, accept, ("images", "videos", "subjects", "sounds"))


# path under /ent/v2/ -> operation
OPERATIONS: dict[str, Operation] = {
    **{kind: _generation(kind) for kind in rules.ENDPOINTS},
    "template2video": Operation("template2video", templates.accept_template, ("images",)),
    "template": Operation("template2video", templates.accept_template, ("images",)),
    "template-story": Operation("template-story", templates.accept_story, ("images",)),
    # edits
    "multiframe": Operation("multiframe", edits.accept_multiframe, ("start_image", "image_settings")),
    "extend": Operation("extend", edits.accept_extend, ("video_url", "images")),
    "upscale-new": Operation("upscale-new", edits.accept_upscale, ("video_url",)),
    "upscale": Operation("upscale", edits.accept_legacy_upscale,
                         answer=("task_id", "state", "model", "creation_id", "created_at")),
    # people (ent/people.py)
    "lip-sync": Operation("lip-sync", people.accept_lip_sync),
    "digital-human": Operation("digital-human", people.accept_digital_human),
    "image2dance": Operation("image2dance", people.accept_image2dance),
    "trending-replicate": Operation("trending-replicate", people.accept_trending_replicate, ("images",)),
    # solutions: one-click films (their trees, edits and compositions: routes.py)
    "ad-one-click": Operation(solutions.AD, solutions.accept_ad, ("images",), make=solutions.make),
    "one-click/general_one_click": Operation(solutions.GENERAL, solutions.accept_general, ("images",),
                                             make=solutions.make, also_id=True),
    # images and audio (issue 15; ent/images.py, ent/audio.py)
    "reference2image": Operation("reference2image", images.accept_reference2image, ("images",)),
    "text2audio": Operation("text2audio", audio.accept_text2audio),
    "timing2audio": Operation("timing2audio", audio.accept_timing2audio),
}

# every kind of /ent/v2 task (a film's parts too)
TASK_TYPES = frozenset(op.task_type for op in OPERATIONS.values()) | solutions.PART_TYPES
