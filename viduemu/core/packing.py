"""How the store holds a JSON document in memory: zlib with a preset dictionary made of the emulator's
own documents, so the field names and usual values cost almost nothing (a task, ~1 KB of JSON, packs
into ~0.1 KB; a live session into ~0.2 KB) for a few microseconds a write. Memory only: nothing packed
ever reaches a file, so the dictionary may change freely from one version to the next.

A document too small to gain, or too big to pack on every write (a 1,000-entry ledger rewritten on
each charge), stays plain JSON. A JSON object starts with "{"; a zlib stream never does.
"""

from __future__ import annotations

import zlib

# A request journal entry, a live session and a finished task, as the emulator writes them (the most
# common text last: zlib prefers the end of a dictionary).
SAMPLES = (
    "{\"at\":1795254803.792843,\"method\":\"POST\",\"path\":\"/live/v1/lives\",\"query\":\"\",\"status\":200,\"reason\":null,\"api_key\":\"vda_sample\",\"trace_id\":\"430f2a22af0b26c6a082a5f7e6949c84\",\"latency_ms\":7.979}",
    "{\"id\":\"321378959223337127\",\"api_key\":\"vda_sample\",\"creator_id\":\"197569405315068380\",\"status\":\"ended\",\"call_mode\":\"audio\",\"live_duration\":600,\"avatar\":{\"persona\":\"A friendly guide.\",\"image_uri\":\"https://example.com/avatar.png\",\"name\":\"\",\"voice\":\"Tina\"},\"created_at\":1795254803.792843,\"start_time\":null,\"end_time\":1795254923.792843,\"ended_at\":1795254924.792843,\"charged\":0,\"close_reason\":\"timeout\",\"hangup_reason\":\"timeout\",\"trace_id\":\"1bf0780bcd74729edb64f8cdf2f31cc8\",\"warm_until\":1795254803.792843,\"disconnected_at\":null,\"picture\":null,\"rtc\":{\"app_id\":\"viduemu\",\"channel_id\":\"live-audio-321378959223337127\",\"user_id\":\"live-user-197569405315068380-321378959223337127\",\"bot_user_id\":\"live-bot-197569405315068380-321378959223337127\",\"token\":\"eyJhcHBfaWQiOiJ2aWR1ZW11IiwiY2hhbm5lbF9pZCI6ImxpdmUtYXVkaW8tMzIxMzc4OTU5MjIzMzM3MTI3IiwidXNlcl9pZCI6ImxpdmUtdXNlci0xOTc1Njk0MDUzMTUwNjgzODAtMzIxMzc4OTU5MjIzMzM3MTI3IiwiZXhwIjoxNzk1MjU4NDAzfQ.1f0721b80a6088ab3112832e67dd3c06\",\"token_expire_at\":\"1795258403\"}}",
    "{\"task_id\":\"595032158605595759\",\"api_key\":\"vda_sample\",\"type\":\"img2video\",\"state\":\"success\",\"err_code\":\"\",\"credits\":80,\"off_peak\":false,\"callback_url\":null,\"fields\":{\"model\":\"viduq1\",\"prompt\":\"a cat\",\"images\":[\"https://example.com/a.png\"],\"duration\":5,\"seed\":1426654449,\"aspect_ratio\":\"16:9\",\"resolution\":\"1080p\",\"bgm\":false,\"audio\":false,\"audio_type\":\"\",\"movement_amplitude\":\"auto\",\"payload\":\"\"},\"created_at\":1795254803.792843,\"history\":[{\"state\":\"created\",\"at\":1795254803.792843},{\"state\":\"queueing\",\"at\":1795254804.792843},{\"state\":\"processing\",\"at\":1795254804.792843},{\"state\":\"success\",\"at\":1795254834.792843}],\"creations\":[{\"id\":\"892465229970106883\",\"url\":\"/_emulator/files/tasks/595032158605595759/892465229970106883.mp4\",\"cover_url\":\"/_emulator/files/tasks/595032158605595759/892465229970106883.jpg\"}],\"started_at\":1795254804.792843,\"finish_at\":1795254834.792843,\"media\":{\"width\":1920,\"height\":1080,\"duration\":5,\"fps\":16,\"prompt\":\"a cat\",\"seed\":1426654449}}",
)
ZDICT = "".join(SAMPLES).encode()
PACKED_SIZES = range(128, 16 * 1024)


def pack(raw: bytes | str) -> bytes | str:
    """What the store keeps for a document's JSON (bytes from orjson, or str from the json module)."""
    if isinstance(raw, str) or len(raw) not in PACKED_SIZES:
        return raw
    packer = zlib.compressobj(1, zdict=ZDICT)
    return packer.compress(raw) + packer.flush()


def unpack(held: bytes | str) -> bytes | str:
    """The JSON that ``pack`` was given."""
    if isinstance(held, str) or held[:1] == b"{":
        return held
    unpacker = zlib.decompressobj(zdict=ZDICT)
    return unpacker.decompress(held) + unpacker.flush()
