"""/ent/v2: answers that cost nothing, each checked against contracts/openapi.yaml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from viduemu.client import ViduClient
    from viduemu.conformance.conftest import Observer

UNKNOWN_TASK = "100000000000000001"   # an 18-digit id no account owns
IMAGE = "https://example.com/conformance.png"
VIDEO = "https://example.com/conformance.mp4"


def test_credits(vidu_client: ViduClient) -> None:
    remains = vidu_client.credits()["remains"]
    assert remains and all(r["credit_remain"] >= 0 for r in remains)


def test_credits_with_detail(vidu_client: ViduClient) -> None:
    assert "remains" in vidu_client.credits(show_detail=True)


def test_task_list(vidu_client: ViduClient) -> None:
    assert isinstance(vidu_client.list_tasks(**{"paper.pagesz": 1})["tasks"], list)


def test_subject_list(vidu_client: ViduClient) -> None:
    assert isinstance(vidu_client.list_subjects()["subjects"], list)


def test_unknown_task_query_is_task_not_found(vidu_client: ViduClient, observer: Observer) -> None:
    observer.refused(lambda: vidu_client.get_task(UNKNOWN_TASK), "GET /ent/v2/tasks/{task_id}/creations",
                     404, "TaskNotFound")


def test_unknown_task_cancel_is_task_not_found(vidu_client: ViduClient, observer: Observer) -> None:
    observer.refused(lambda: vidu_client.cancel_task(UNKNOWN_TASK), "POST /ent/v2/tasks/{task_id}/cancel",
                     404, "TaskNotFound")


def test_missing_authorization_is_unauthorized(vidu_base_url: str, vidu_transport: httpx.BaseTransport,
                                               observer: Observer) -> None:
    with httpx.Client(base_url=vidu_base_url, transport=vidu_transport) as http:
        response = http.get("/ent/v2/credits")
    if response.status_code != 401 or response.json().get("reason") != "Unauthorized":
        observer.record("GET /ent/v2/credits", "status", "401 Unauthorized", f"{response.status_code} {response.text[:200]}")


# Requests the vendor must refuse before any work starts: they cost nothing, so they declare a
# spend of 0 (the budget guard lets them reach the spending endpoints).
REFUSED: dict[str, tuple[str, dict[str, Any], str]] = {  # case -> (client method, body, reason)
    "img2video_without_images": ("img2video", {"model": "viduq1"}, "FieldLacking"),
    "img2video_unknown_model": ("img2video", {"model": "no-such-model", "images": [IMAGE]}, "FieldInvalid"),
    "text2video_without_prompt": ("text2video", {"model": "viduq1"}, "FieldLacking"),
    "start_end2video_with_one_image": ("start_end2video", {"model": "viduq1", "images": [IMAGE]},
                                       "FieldItemCountOutOfRange"),
    "reference2video_without_references": ("reference2video", {"model": "viduq1", "prompt": "a cat"},
                                           "FieldLacking"),
    "text2video_on_img2video_only_model": ("text2video", {"model": "viduq3-pro-fast", "prompt": "a cat"},
                                           "FieldInvalid"),
    "reference2video_sounds_on_viduq2": ("reference2video", {"model": "viduq2", "images": [IMAGE], "prompt": "a cat",
                                                             "sounds": ["https://example.com/a.mp3"]}, "FieldUnwanted"),
    "reference2video_off_peak_on_viduq3_mix": ("reference2video", {"model": "viduq3-mix", "images": [IMAGE],
                                                                   "prompt": "a cat", "off_peak": True}, "FieldInvalid"),
    "template_without_template": ("template", {"images": [IMAGE]}, "FieldLacking"),
    "template2video_without_images": ("template2video", {"template": "hug"}, "FieldLacking"),
    "template_story_without_story": ("template_story", {"images": [IMAGE]}, "FieldLacking"),
    # edits
    "multiframe_with_one_key_frame": ("multiframe", {"model": "viduq2-turbo", "start_image": IMAGE,
                                                     "image_settings": [{"key_image": IMAGE}]}, "FieldItemCountOutOfRange"),
    "extend_by_8_seconds": ("extend", {"model": "viduq2-pro", "video_url": VIDEO, "duration": 8}, "FieldInvalid"),
    "upscale_new_without_a_video": ("upscale_new", {"upscale_resolution": "2K"}, "FieldLacking"),
    "upscale_new_to_720p": ("upscale_new", {"video_url": VIDEO, "upscale_resolution": "720p"}, "FieldInvalid"),
    "upscale_with_another_model": ("upscale", {"model": "vidu2.0", "creation_id": UNKNOWN_TASK}, "FieldInvalid"),
    # people (lip-sync, digital-human, image2dance, trending-replicate)
    "lip_sync_with_model": ("lip_sync", {"video_url": VIDEO, "text": "Hello there", "model": "viduq2-pro"},
                            "FieldUnwanted"),
    "lip_sync_without_audio_or_text": ("lip_sync", {"video_url": VIDEO}, "FieldLacking"),
    "digital_human_unknown_model": ("digital_human", {"model": "no-such-model", "image": IMAGE, "text": "Hello"},
                                    "FieldInvalid"),
    "image2dance_without_video": ("image2dance", {"image_url": IMAGE}, "FieldLacking"),
    "trending_replicate_with_eight_images": ("trending_replicate", {"video_url": VIDEO, "images": [IMAGE] * 8},
                                             "FieldItemCountOutOfRange"),
    # the prompt recommendation (issue 15)
    "img2video_prompt_recommendation_with_two_images": (
        "img2video_prompt_recommendation", {"images": [IMAGE] * 2, "type": ["img2video"]}, "FieldItemCountOutOfRange"),
    "img2video_prompt_recommendation_with_count_11": (
        "img2video_prompt_recommendation", {"images": [IMAGE], "type": ["img2video"], "count": 11}, "FieldInvalid"),
    # images and audio (reference2image, text2audio, timing2audio, audio-tts, audio-clone)
    "reference2image_viduq1_without_images": ("reference2image", {"model": "viduq1", "prompt": "a fox"},
                                              "FieldItemCountOutOfRange"),
    "reference2image_viduq1_at_2k": ("reference2image", {"model": "viduq1", "prompt": "a fox", "images": [IMAGE],
                                                         "resolution": "2K"}, "FieldInvalid"),
    "text2audio_for_11_seconds": ("text2audio", {"model": "audio1.0", "prompt": "rain", "duration": 11}, "FieldInvalid"),
    "timing2audio_event_past_the_end": ("timing2audio", {"model": "audio1.0", "duration": 4, "timing_prompts": [
        {"from": 3, "to": 5, "prompt": "a bell"}]}, "FieldInvalid"),
    "audio_tts_at_speed_3": ("audio_tts", {"text": "Hello", "voice_setting_voice_id": "female-shaonv",
                                           "voice_setting_speed": 3}, "FieldInvalid"),
    "audio_clone_with_a_6_character_voice_id": ("audio_clone", {"audio_url": "https://example.com/v.mp3",
                                                                "voice_id": "vidu01", "text": "Hello."}, "FieldInvalid"),
}


@pytest.mark.vidu_spends(0)
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_invalid_generation_is_refused(vidu_client: ViduClient, observer: Observer, case: str) -> None:
    method, fields, reason = REFUSED[case]
    path = "/ent/v2/" + method.replace("_", "-")
    observer.refused(lambda: getattr(vidu_client, method)(**fields), f"POST {path}", 400, reason)


# solutions: one-click films (case -> (client method, path, body, reason))
FILMS_REFUSED: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "ad_one_click_without_images": ("ad_one_click", "/ent/v2/ad-one-click", {"duration": 15}, "FieldLacking"),
    "ad_one_click_with_8_images": ("ad_one_click", "/ent/v2/ad-one-click", {"images": [IMAGE] * 8},
                                   "FieldItemCountOutOfRange"),
    "general_one_click_with_8_images": ("general_one_click", "/ent/v2/one-click/general_one_click",
                                        {"images": [IMAGE] * 8}, "FieldItemCountOutOfRange"),
}


@pytest.mark.vidu_spends(0)
@pytest.mark.parametrize("case", sorted(FILMS_REFUSED))
def test_invalid_film_is_refused(vidu_client: ViduClient, observer: Observer, case: str) -> None:
    method, path, fields, reason = FILMS_REFUSED[case]
    observer.refused(lambda: getattr(vidu_client, method)(**fields), f"POST {path}", 400, reason)


def test_unknown_ad_film_tree_is_task_not_found(vidu_client: ViduClient, observer: Observer) -> None:
    observer.refused(lambda: vidu_client.ad_one_click_get(UNKNOWN_TASK), "GET /ent/v2/ad-one-click/{id}",
                     404, "TaskNotFound")
