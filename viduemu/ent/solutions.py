"""Solutions: one-click films. ``ad-one-click`` (the ad film: an official EN create page and the official CN
full-flow guide) and ``one-click/general_one_click`` (the general film: third-party clients only), one
machinery (docs/decisions.md, "Operations of issue 14: solutions").

A film is tasks of the generic engine (vidu/tasks.py) tied together by a ``Film`` record (ent/models.py):

- its parts, made with it: a ``generate_video`` task per storyboard (``FILM_SHOT_SECONDS`` at most), its
  narration (``generate_narration``, speech) and its music (``generate_bgm``); an edit adds a part to one
  of these records;
- its compositions (``compose``): the first is made with the film and waits for every first part
  (``Task.after``); compose asks for more;
- the film task itself (type ``ad-one-click`` / ``general_one_click``): charged the film's price, it waits
  for the first composition and its creation is the film, with the music of its bgm.

The parts made with the film are paid for by it (0 credits each); a failed part fails the first composition
and so the film, which is refunded. An edit or a compose is a task charged its own price, refunded if it
fails. Callbacks, cancel, the task list, the 5-processing limit, --state, ``task.finish`` faults and the
inspector are the engine's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from viduemu.core.errors import ViduError, count_out_of_range, invalid
from viduemu.ent import pricing, rules
from viduemu.ent.checks import Order, callback_of, check_images, seed_of, split_seconds
from viduemu.ent.models import Film
from viduemu.ent.outputs import plan
from viduemu.ent.rules import BGM, COMPOSE, NARRATION, STORYBOARD
from viduemu.vidu import voice
from viduemu.vidu.lives import DEFAULT_VOICE
from viduemu.vidu.media import Sound, resolution_size
from viduemu.vidu.tasks import Task

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea

AD, GENERAL = "ad-one-click", "general_one_click"
PART_TYPES = rules.FILM_TASK_TYPES - set(rules.FILMS)   # the task types of a film's parts
THEMES = {AD: "an ad film of the product in the images", GENERAL: "a film of the images"}


# -- create -------------------------------------------------------------------------------------------
async def accept_ad(ent: EntArea, api_key: str, body: dict) -> Order:
    return await _accept(ent, AD, body)


async def accept_general(ent: EntArea, api_key: str, body: dict) -> Order:
    return await _accept(ent, GENERAL, body)


async def _accept(ent: EntArea, kind: str, body: dict) -> Order:
    rule = rules.FILMS[kind]
    prompt = body.get("prompt") or ""
    if len(prompt) > rules.FILM_MAX_PROMPT:
        raise invalid("prompt", f"at most {rules.FILM_MAX_PROMPT} characters")
    duration = body.get("duration", rule.default_duration)
    low, high = rule.durations
    if not low <= duration <= high:
        raise invalid("duration", f"{low}-{high} s")
    aspect_ratio = body.get("aspect_ratio", rules.DEFAULT_ASPECT_RATIO)
    if aspect_ratio not in rule.aspect_ratios:
        raise invalid("aspect_ratio", f"accepted: {', '.join(rule.aspect_ratios)}")
    fields: dict[str, Any] = {"images": body["images"], "prompt": prompt, "duration": duration,
                              "aspect_ratio": aspect_ratio}
    if rule.languages:
        fields["language"] = body.get("language", rules.FILM_DEFAULT_LANGUAGE)
        if fields["language"] not in rule.languages:
            raise invalid("language", f"accepted: {', '.join(rule.languages)}")
    if rule.creative:
        fields["creative"] = bool(body.get("creative", False))
    fields["payload"] = body.get("payload", "")
    callback_url = callback_of(body)
    low, high = rules.FILM_IMAGES
    if not low <= len(body["images"]) <= high:
        raise count_out_of_range("images", f"{low}-{high} images")
    await check_images(ent, body["images"], rules.FILM_IMAGE_LIMIT)
    seed = seed_of(ent, body)   # the general film's clients may send one; the ad film's table has none
    width, height = resolution_size(rules.FILM_RESOLUTION, aspect_ratio)
    film = plan(width, height, duration, prompt or THEMES[kind], seed, sound=Sound("music", seed))
    return Order(kind, fields, pricing.film_credits(duration), callback_url, plan=film)


@dataclass(frozen=True)
class _Part:
    kind: str
    fields: dict
    plan: dict


def _first_parts(film_id: str, fields: dict, film: dict, theme: str) -> list[_Part]:
    """The storyboards, narration and music a film is made of (the music plays in the film)."""
    seconds, seed = fields["duration"], film["seed"]
    common = {"film_id": film_id, "aspect_ratio": fields["aspect_ratio"], "resolution": rules.FILM_RESOLUTION,
              "payload": ""}
    lengths = split_seconds(seconds, rules.FILM_SHOT_SECONDS)
    parts = []
    for i, length in enumerate(lengths):
        prompt = f"Storyboard {i + 1} of {len(lengths)}: {theme}"
        parts.append(_Part(STORYBOARD, {**common, "index": i, "prompt": prompt, "duration": length},
                           {**film, "duration": length, "prompt": prompt, "seed": seed + 1 + i, "sound": None}))
    narration = f"Narration ({fields.get('language') or rules.FILM_DEFAULT_LANGUAGE}): {theme}"
    speech = Sound("speech", seed, pitch=voice.pitch(DEFAULT_VOICE))
    parts.append(_Part(NARRATION, {**common, "index": 0, "prompt": narration, "duration": seconds},
                       {**film, "prompt": narration, "sound": asdict(speech)}))
    music = f"Background music: {theme}"
    parts.append(_Part(BGM, {**common, "index": 0, "prompt": music, "duration": seconds},
                       {**film, "prompt": music}))
    return parts


def make(ent: EntArea, api_key: str, order: Order) -> Task:
    """The film task, its first parts and its first composition, in one transaction: ``CreditInsufficient``
    (the film's price) makes none of them."""
    fields, film_plan = order.fields, order.plan or {}
    compose_id = ent.core.ids.new_id()
    with ent.core.store.atomic():
        film = ent.tasks.create(api_key, order.task_type, fields, order.credits, callback_url=order.callback_url,
                                plan=film_plan, after=[compose_id])
        theme = fields["prompt"] or THEMES[order.task_type]
        made = [ent.tasks.create(api_key, part.kind, part.fields, 0, plan=part.plan)
                for part in _first_parts(film.task_id, fields, film_plan, theme)]
        ids = {kind: [t.task_id for t in made if t.type == kind] for kind in (STORYBOARD, NARRATION, BGM)}
        params = {"video_task_ids": ids[STORYBOARD], "bgm_task_id": ids[BGM][0],
                  "narration_task_id": ids[NARRATION][0]}
        ent.tasks.create(api_key, COMPOSE, _compose_fields(film.task_id, fields, film_plan, params), 0,
                         plan=film_plan, after=[t.task_id for t in made], task_id=compose_id)
        ent.films.put(Film(id=film.task_id, api_key=api_key, kind=order.task_type,
                           storyboards=[[i] for i in ids[STORYBOARD]], narrations=ids[NARRATION],
                           bgms=ids[BGM], composes=[compose_id]))
    return film


def _compose_fields(film_id: str, fields: dict, composed: dict, params: dict, payload: str = "") -> dict:
    return {"film_id": film_id, "index": 0, "prompt": composed["prompt"], "duration": composed["duration"],
            "aspect_ratio": fields["aspect_ratio"], "resolution": rules.FILM_RESOLUTION, "params": params,
            "payload": payload}


# -- reading ------------------------------------------------------------------------------------------------
def film_of(ent: EntArea, api_key: str, film_id: str, kind: str, *, by_part: bool = False) -> Film:
    """The caller's film of this kind by its id (or, with ``by_part``, by the id of one of its parts)."""
    film = ent.films.get(film_id)
    if film is None and by_part:
        part = ent.tasks.find(film_id)
        owner = part.fields.get("film_id") if part is not None and part.type in PART_TYPES else None
        film = ent.films.get(owner) if owner else None
    if film is None or film.api_key != api_key or film.kind != kind:
        raise ViduError("TaskNotFound", f"task not found: {film_id}")
    return film


def tasks_of(ent: EntArea, film: Film) -> dict[str, Task]:
    """The film task and every part, by id."""
    found = (ent.tasks.find(task_id) for task_id in (film.id, *film.part_ids()))
    return {task.task_id: task for task in found if task is not None}


# -- edit and compose ---------------------------------------------------------------------------------------
def part_of(film: Film, task_id: str, field: str) -> tuple[str, list[str]]:
    """(kind, the records it belongs to) of a part that can be edited, or FieldInvalid on ``field``."""
    records = [*((STORYBOARD, board) for board in film.storyboards), (NARRATION, film.narrations),
               (BGM, film.bgms)]
    found = next(((kind, ids) for kind, ids in records if task_id in ids), None)
    if found is None:
        raise invalid(field, f"{task_id} is not a storyboard, narration or bgm task of film {film.id}")
    return found


def records_of(film: Film, kind: str, index: int | None) -> list[str]:
    """The records an edit of ``kind`` joins (a storyboard's: by ``index``, from 0)."""
    if kind != STORYBOARD:
        return film.narrations if kind == NARRATION else film.bgms
    if index is None:
        raise ViduError("FieldLacking", fields="storyboard_video_index")
    if not 0 <= index < len(film.storyboards):
        raise invalid("storyboard_video_index", f"the film has storyboards 0-{len(film.storyboards) - 1}")
    return film.storyboards[index]


def edit(ent: EntArea, film: Film, kind: str, records: list[str], prompt: str, callback_url: str | None,
         payload: str = "") -> Task:
    """A new part in ``records`` (same length as its first, a new prompt), charged the edit's price."""
    _check_finished(ent, film)
    if len(prompt) > rules.FILM_MAX_PROMPT:
        raise invalid("prompt", f"at most {rules.FILM_MAX_PROMPT} characters")
    first = ent.tasks.get(film.api_key, records[0], rules.FILM_TASK_TYPES)
    seed = ent.core.ids.generation_seed()
    planned = {**(first.plan or {}), "prompt": prompt, "seed": seed}
    if planned.get("sound"):
        planned["sound"] = {**planned["sound"], "seed": seed}
    seconds = first.fields["duration"]
    with ent.core.store.atomic():
        task = ent.tasks.create(film.api_key, kind, {**first.fields, "prompt": prompt, "payload": payload},
                                pricing.film_edit_credits(kind, seconds, prompt), callback_url=callback_url,
                                plan=planned)
        records.append(task.task_id)
        ent.films.put(film)
    return task


def compose(ent: EntArea, film: Film, video_ids: list[str], narration_id: str, bgm_id: str,
            callback_url: str | None, payload: str = "", field: str = "video_task_ids") -> Task:
    """A new composition of a successful video task per storyboard (in their order), a narration and a
    music, charged ``COMPOSE_CREDITS``."""
    _check_finished(ent, film)
    boards = film.storyboards
    if len(video_ids) != len(boards):
        raise count_out_of_range(field, f"the film has {len(boards)} storyboards: give one video task each")
    videos = [_succeeded(ent, film, task_id, board, field) for task_id, board in zip(video_ids, boards, strict=True)]
    narration = _succeeded(ent, film, narration_id, film.narrations, "narration_task_id")
    music = _succeeded(ent, film, bgm_id, film.bgms, "bgm_task_id")
    film_task = ent.tasks.get(film.api_key, film.id, rules.FILM_TASK_TYPES)
    first = film_task.plan or {}
    seconds = sum(v.fields["duration"] for v in videos)
    composed = {**first, "duration": seconds, "prompt": " / ".join(v.fields["prompt"] for v in videos),
                "seed": ent.core.ids.generation_seed(), "sound": (music.plan or {}).get("sound")}
    params = {"video_task_ids": list(video_ids), "bgm_task_id": music.task_id,
              "narration_task_id": narration.task_id}
    with ent.core.store.atomic():
        task = ent.tasks.create(film.api_key, COMPOSE,
                                _compose_fields(film.id, film_task.fields, composed, params, payload),
                                pricing.COMPOSE_CREDITS, callback_url=callback_url, plan=composed)
        film.composes.append(task.task_id)
        ent.films.put(film)
    return task


def newest_success(parts: dict[str, Task], records: list[str]) -> str:
    """The newest successful task of ``records`` ("" when none)."""
    return next((i for i in reversed(records) if i in parts and parts[i].state == "success"), "")


def _succeeded(ent: EntArea, film: Film, task_id: str, records: list[str], field: str) -> Task:
    if task_id not in records:
        raise invalid(field, f"{task_id} is not a task of this record of film {film.id}")
    task = ent.tasks.get(film.api_key, task_id, rules.FILM_TASK_TYPES)
    if task.state != "success":
        raise invalid(field, f"task {task_id} is {task.state}; only successful tasks compose")
    return task


def _check_finished(ent: EntArea, film: Film) -> None:
    """Edits and compositions are of a finished film (as an MV's)."""
    state = ent.tasks.get(film.api_key, film.id, rules.FILM_TASK_TYPES).state
    if state == "failed":
        raise ViduError("BadRequest", "film state is failed, can not edit")
    if state != "success":
        raise ViduError("OperationInProcess", f"film state is {state}: operation in process, please retry later")

