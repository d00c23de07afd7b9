"""/ent/v2 handlers and the route table: parse, validate (contract, then rule tables), call the engine,
render. Every handler takes the ``EntArea`` area and the request."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from viduemu.core.errors import ViduError, invalid
from viduemu.core.http import base_url, control_route, query_value, read_json, read_valid, route
from viduemu.ent import audio, checks, operations, pricing, queries, recommend, rules, solutions, uploads, views
from viduemu.ent.models import Film, Mv, Speech
from viduemu.vidu import fake
from viduemu.vidu.auth import caller
from viduemu.vidu.inputs import stored_form

if TYPE_CHECKING:
    from viduemu.ent.area import EntArea

SUBJECTS, SUBJECT = "/ent/v2/subjects", "/ent/v2/subjects/{id}"
MV = "/ent/v2/one-click/mv"


# -- tasks -------------------------------------------------------------------------------------------
def create_task(name: str):
    """POST /ent/v2/<name>: the contract, then the operation's rules and price, then the task."""
    op = operations.OPERATIONS[name]

    async def create(ent: EntArea, request: Request):
        api_key = caller(ent.accounts, request.headers)
        body = await read_valid(request)
        order = await op.accept(ent, api_key, body)
        stored = replace(order, fields=stored_form(order.fields))
        if op.make is not None:
            task = op.make(ent, api_key, stored)
        else:
            task = ent.tasks.create(api_key, order.task_type, stored.fields, order.credits,
                                    off_peak=order.off_peak, callback_url=order.callback_url, plan=order.plan)
        # The answer echoes the inputs as given; the task keeps only their stored form.
        answer = {**views.create_view(task), **{k: order.fields[k] for k in op.echo if k in order.fields}}
        if op.also_id:
            answer["id"] = task.task_id
        return {k: answer[k] for k in op.answer} if op.answer else answer

    return create


async def get_creations(ent: EntArea, request: Request):
    task = ent.tasks.get(caller(ent.accounts, request.headers), request.path_params["task_id"], operations.TASK_TYPES)
    return views.creations_view(task, ent.core.linker(base_url(request)), ent.core.clock.now())


async def list_tasks(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    size = queries.task_page_size(request)
    start = queries.task_page_start(request, ent.core.signer, size)
    filters = queries.task_filters(request, ent.core.clock.now())
    tasks = sorted((t for t in ent.tasks.all(api_key) if ent.owns(t.type) and all(check(t) for check in filters)),
                   key=lambda t: (t.created_at, t.task_id), reverse=True)
    if isinstance(start, tuple):
        tasks = [t for t in tasks if (t.created_at, t.task_id) < start]
        start = 0
    page = tasks[start:start + size]
    more = len(tasks) > start + size
    link = ent.core.linker(base_url(request))
    position = [page[-1].created_at, page[-1].task_id] if more else None
    return {"next_page_token": queries.page_token(ent.core.signer, "pager.page_token", position) if position else "",
            "tasks": [views.listed_view(t, link) for t in page]}


async def cancel_task(ent: EntArea, request: Request):
    """Body ``{"id": ...}`` (the vendor's curl), ``{}`` or none at all; the task in the path wins."""
    api_key = caller(ent.accounts, request.headers)
    body = await _optional_object(request)
    if "id" in body and not isinstance(body["id"], str):
        raise invalid("id", "a task id string is expected")
    ent.tasks.cancel(api_key, request.path_params["task_id"], operations.TASK_TYPES)
    return {}


async def _optional_object(request: Request) -> dict:
    try:
        body = await read_json(request)
    except ViduError as err:
        if err.message.startswith("request body is empty"):
            return {}
        raise
    if not isinstance(body, dict):
        raise ViduError("BadRequest", "request body must be a JSON object")
    return body


async def get_credits(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    raw = (query_value(request, "show_detail") or "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise invalid("show_detail", "true or false")
    return views.credits_view(ent.accounts.ensure(api_key), ent.tasks.figures(api_key), raw in ("true", "1"))


# -- subjects -------------------------------------------------------------------------------------------
async def create_subject(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    body = await read_valid(request)
    await checks.check_subject_media(ent, body)
    return views.subject_created_view(ent.subjects.make(api_key, body))


async def list_subjects(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    ownership = query_value(request, "ownership") or "private"
    if ownership not in rules.SUBJECT_OWNERSHIPS:
        raise invalid("ownership", "expected system or private")
    count = queries.subject_count(request)
    wanted = set(queries.values(request, "subject_ids"))
    # The emulator has no official (system) library: that listing is always empty.
    mine = [] if ownership == "system" else [
        s for s in ent.subjects.newest_first(api_key) if not wanted or s.id in wanted]
    start = 0
    if (position := queries.token_position(request, ent.core.signer, "next_page_token")) is not None:
        found = next((i for i, s in enumerate(mine) if s.id == position[0]), None)
        if found is None:
            raise invalid("next_page_token", "not a token of this listing")
        start = found + 1
    page = mine[start:start + count]
    more = start + count < len(mine)
    return {"subjects": [views.subject_view(s) for s in page],
            "next_page_token": queries.page_token(ent.core.signer, "next_page_token", [page[-1].id]) if more else "",
            "count": count}  # "Query count, default 20, max 100": the page size asked for


async def edit_subject(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    subject = ent.subjects.get(api_key, request.path_params["id"])
    body = await read_valid(request)
    await checks.check_subject_media(ent, body)
    subject = ent.subjects.get(api_key, subject.id)   # read again: the checks awaited
    changes = {k: body[k] for k in rules.SUBJECT_EDITABLE if k in body}
    return views.subject_edited_view(ent.subjects.edit(subject, changes))


# -- one-click MV ------------------------------------------------------------------------------------------
def split_shots(seconds: int) -> list[int]:
    """Whole-second shot lengths summing to ``seconds``: as few shots as keep each <= 5 s, the
    longer ones first (10 -> [5, 5], 11 -> [4, 4, 3], 180 -> 36 x 5)."""
    return checks.split_seconds(seconds, rules.MV_SHOT_SECONDS)


def shot_inputs(fields: dict, seconds: int) -> list[dict]:
    lengths = split_shots(seconds)
    theme = fields["prompt"].strip() or "a music video following the song"
    locale = fake.locale_of(theme)  # the lyrics are made up in the prompt's language
    return [{"duration": length, "prompt": f"Shot {i + 1} of {len(lengths)}: {theme}",
             "lyric_text": fake.sentence(fake.seed_of(theme, i), locale),
             "signed_images": []} for i, length in enumerate(lengths)]


async def create_mv(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    body = await read_valid(request)
    seconds, measured, song = await checks.check_mv_media(ent, body)
    # the song's bytes, when read, are kept: the jobs' videos play it (ent/area._mv_clip)
    blob = await ent.outputs.keep(song.data, f".{song.format}") if song.data is not None else ""
    fields = {**rules.MV_DEFAULTS, **{k: body[k] for k in rules.MV_DEFAULTS if k in body},
              "images": stored_form(body["images"]),
              "audio": {"url": stored_form(body["audio_url"]), "seconds": seconds, "measured": measured,
                        "blob": blob}}
    billed = math.ceil(seconds - rules.DURATION_TOLERANCE)
    mv = ent.mv.create(api_key, fields, shot_inputs(fields, billed), billed * pricing.mv_rate(fields),
                       body.get("callback_url"))
    return {"id": mv.id}


async def get_mv(ent: EntArea, request: Request):
    mv = ent.mv.get(caller(ent.accounts, request.headers), request.path_params["id"], by_job=True)
    return views.mv_view(mv, ent.core.linker(base_url(request)))


async def _mv_after_body(ent: EntArea, request: Request) -> tuple[Mv, dict]:
    api_key = caller(ent.accounts, request.headers)
    body = await read_valid(request)   # before the read of the MV: nothing may change it after
    return ent.mv.get(api_key, request.path_params["id"]), body


async def edit_mv(ent: EntArea, request: Request):
    mv, body = await _mv_after_body(ent, request)
    job_id = ent.mv.edit(mv, body["job_id"], body["prompt"], pricing.mv_rate(mv.fields), body.get("callback_url"))
    return {"id": job_id}


async def compose_mv(ent: EntArea, request: Request):
    mv, body = await _mv_after_body(ent, request)
    return {"id": ent.mv.compose(mv, body["job_ids"], body.get("callback_url"))}


# -- one-click films (ent/solutions.py) ------------------------------------------------------------------
AD, GENERAL = "/ent/v2/ad-one-click", "/ent/v2/one-click/general_one_click"


class _FilmId(StringConvertor):
    """A film id in GET /ent/v2/ad-one-click/{id}: any segment but the names of its sibling operations
    (edit and compose take the id in the body), so that their 405 names only POST."""
    regex = "(?!(?:edit|compose)$)[^/]+"


register_url_convertor("ad_film_id", _FilmId())


def _ad_tree_route(ent: EntArea) -> Route:
    found = route(f"{AD}/{{id:ad_film_id}}", _get_film(solutions.AD, views.ad_film_view, by_part=False), ent,
                  methods=["GET"])
    found.path = f"{AD}/{{id}}"   # its name for the contract and the fault rules; matching keeps the convertor
    return found


async def _film_request(ent: EntArea, request: Request, kind: str, field: str | None) -> tuple[Film, dict]:
    """The body (read first: nothing may change the film after its read) and the caller's film, whose id
    is the body's ``field`` (ad-one-click) or else the path's."""
    api_key = caller(ent.accounts, request.headers)
    body = await read_valid(request)
    film_id = body[field] if field else request.path_params["id"]
    return solutions.film_of(ent, api_key, film_id, kind), body


def _get_film(kind: str, view, by_part: bool):
    async def get(ent: EntArea, request: Request):
        film = solutions.film_of(ent, caller(ent.accounts, request.headers), request.path_params["id"], kind,
                                 by_part=by_part)
        return view(film, solutions.tasks_of(ent, film), ent.core.linker(base_url(request)))

    return get


async def edit_ad(ent: EntArea, request: Request):
    film, body = await _film_request(ent, request, solutions.AD, "ad_one_click_task_id")
    # the guide's own example spells it "soryboard_video_index": both are read (docs/decisions.md)
    index = body.get("storyboard_video_index", body.get("soryboard_video_index"))
    records = solutions.records_of(film, body["type"], index)
    task = solutions.edit(ent, film, body["type"], records, body["prompt"], checks.callback_of(body),
                          body.get("payload", ""))
    return {"ad_one_click_task_id": film.id, "sub_task_id": task.task_id, "state": task.state,
            "err_code": task.err_code, "credits": task.credits}


async def compose_ad(ent: EntArea, request: Request):
    film, body = await _film_request(ent, request, solutions.AD, "ad_one_click_task_id")
    task = solutions.compose(ent, film, body["video_task_ids"], body["narration_task_id"], body["bgm_task_id"],
                             checks.callback_of(body), body.get("payload", ""))
    return {"ad_one_click_task_id": film.id, "compose_sub_task_id": task.task_id, "state": task.state,
            "credits": task.credits}


async def edit_general(ent: EntArea, request: Request):
    film, body = await _film_request(ent, request, solutions.GENERAL, None)
    kind, records = solutions.part_of(film, body["job_id"], "job_id")
    task = solutions.edit(ent, film, kind, records, body["prompt"], checks.callback_of(body))
    return {"id": task.task_id}


async def compose_general(ent: EntArea, request: Request):
    """``job_ids``: a storyboard job per storyboard, in their order, and at most one narration and one
    music job (by default the newest successful ones)."""
    film, body = await _film_request(ent, request, solutions.GENERAL, None)
    chosen: dict[str, list[str]] = {}
    for job_id in body["job_ids"]:
        chosen.setdefault(solutions.part_of(film, job_id, "job_ids")[0], []).append(job_id)
    parts = solutions.tasks_of(ent, film)
    extra = {kind: ids for kind, ids in chosen.items() if kind != rules.STORYBOARD and len(ids) > 1}
    if extra:
        raise invalid("job_ids", f"at most one {next(iter(extra))} job")
    narration = (chosen.get(rules.NARRATION) or [solutions.newest_success(parts, film.narrations)])[0]
    music = (chosen.get(rules.BGM) or [solutions.newest_success(parts, film.bgms)])[0]
    task = solutions.compose(ent, film, chosen.get(rules.STORYBOARD, []), narration, music,
                             checks.callback_of(body), field="job_ids")
    return {"id": task.task_id}


# -- synchronous answers of issue 15 ----------------------------------------------------------------------------
async def prompt_recommendation(ent: EntArea, request: Request):
    api_key = caller(ent.accounts, request.headers)
    return await recommend.recommend(ent, api_key, await read_valid(request))


# -- synchronous audio (audio-tts, audio-clone; ent/audio.py): the answer is the result, no task ---------------
def create_speech(accept):
    async def create(ent: EntArea, request: Request):
        api_key = caller(ent.accounts, request.headers)
        body = await read_valid(request)
        spoken = await accept(ent, api_key, body)
        task_id = ent.core.ids.new_id()
        with ent.core.store.atomic():
            ent.accounts.charge(api_key, spoken.credits, spoken.kind, task_id)
            speech = ent.speeches.put(Speech(task_id, api_key, spoken.kind, spoken.voice_id, spoken.media,
                                             spoken.credits, ent.core.clock.now()))
        return views.speech_view(speech, spoken.payload, ent.core.linker(base_url(request)))

    return create


# -- the control plane's views (/_emulator/tasks) ------------------------------------------------------------
TASK_FILTERS = ("api_key", "state", "type", "model")


async def inspect_tasks(ent: EntArea, request: Request):
    """Tasks across accounts and dialects, oldest first; ``?api_key=&state=&type=&model=`` narrow it."""
    link = ent.core.linker("")  # paths: the inspector is served by the same origin
    found = [*(views.task_summary(t, link) for t in ent.tasks.all()),
             *(row for mv in ent.mv.table.all() for row in views.mv_summaries(mv, link))]
    return {"tasks": [t for t in sorted(found, key=lambda t: t["created_at"])
                      if all(request.query_params.get(n) in (None, "", t.get(n)) for n in TASK_FILTERS)]}


async def inspect_task(ent: EntArea, request: Request):
    """One task: its summary, the request as stored (data URIs as their type) and its callbacks."""
    task_id = request.path_params["task_id"]
    task = ent.tasks.find(task_id)
    if task is None:
        found = _inspected_mv(ent, task_id)
        if found is None:
            raise ViduError("NotFound", f"task not found: {task_id}")
        return {**found, "callbacks": ent.callbacks.attempts(task_id),
                "callbacks_pending": ent.callbacks.pending(task_id)}
    return {**views.task_summary(task, ent.core.linker("")), "request": task.fields,
            "callbacks": ent.callbacks.attempts(task_id),
            "callbacks_pending": ent.callbacks.pending(task_id)}


def _inspected_mv(ent: EntArea, some_id: str) -> dict | None:
    """An MV or one of its jobs as a task row, with its request (the MV's fields, a shot's input)."""
    mv = ent.mv.find(some_id) or next((m for m in ent.mv.table.all() if m.job(some_id)), None)
    if mv is None:
        return None
    row = next(r for r in views.mv_summaries(mv, ent.core.linker("")) if r["task_id"] == some_id)
    job = mv.job(some_id)
    return {**row, "request": mv.fields if job is None else job.get("input", {})}


def routes(ent: EntArea) -> list[BaseRoute]:
    return [
        *(route(f"/ent/v2/{name}", create_task(name), ent, methods=["POST"]) for name in operations.OPERATIONS),
        route("/ent/v2/tasks/{task_id}/creations", get_creations, ent, methods=["GET"]),
        route("/ent/v2/tasks", list_tasks, ent, methods=["GET"]),
        route("/ent/v2/tasks/{task_id}/cancel", cancel_task, ent, methods=["POST"]),
        route("/ent/v2/credits", get_credits, ent, methods=["GET"]),
        route(SUBJECTS, create_subject, ent, methods=["POST"]),
        route(SUBJECTS, list_subjects, ent, methods=["GET"]),
        route(SUBJECT, edit_subject, ent, methods=["PUT"]),
        route(MV, create_mv, ent, methods=["POST"]),
        route(f"{MV}/{{id}}", get_mv, ent, methods=["GET"]),
        route(f"{MV}/{{id}}/edit", edit_mv, ent, methods=["POST"]),
        route(f"{MV}/{{id}}/compose", compose_mv, ent, methods=["POST"]),
        route(f"{AD}/edit", edit_ad, ent, methods=["POST"]),
        route(f"{AD}/compose", compose_ad, ent, methods=["POST"]),
        _ad_tree_route(ent),
        route(f"{GENERAL}/{{id}}", _get_film(solutions.GENERAL, views.general_film_view, by_part=True), ent,
              methods=["GET"]),
        route(f"{GENERAL}/{{id}}/edit", edit_general, ent, methods=["POST"]),
        route(f"{GENERAL}/{{id}}/compose", compose_general, ent, methods=["POST"]),
        *uploads.routes(ent),
        route("/ent/v2/img2video-prompt-recommendation", prompt_recommendation, ent, methods=["POST"]),
        route("/ent/v2/audio-tts", create_speech(audio.accept_tts), ent, methods=["POST"]),
        route("/ent/v2/audio-clone", create_speech(audio.accept_clone), ent, methods=["POST"]),
        control_route("/_emulator/tasks", inspect_tasks, ent, methods=["GET"]),
        control_route("/_emulator/tasks/{task_id}", inspect_task, ent, methods=["GET"]),
    ]
