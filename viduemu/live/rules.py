"""The S1 rules the live area enforces: limits of the inputs, the session's timings, the documented
hangup reasons, the names of a session's RTC channel, the voices and their clone price. The billing
arithmetic of on_live time is live/billing.py."""

from __future__ import annotations

from viduemu.core.faults import FaultPoint, one_of
from viduemu.vidu.inputs import AUDIO_FORMATS, MB

# -- inputs ----------------------------------------------------------------------------------------
AVATAR_IMAGE_LIMIT = 20 * MB   # "base64 < 20 MB"
# A data URI just under 20 MB decoded is ~26.7 MB of base64: the body must admit it (with the
# persona, which has "no length limit"), so /live bodies may be larger than /ent's 20 MB.
BODY_LIMIT = 32 * MB
CLONE_AUDIO = {k: AUDIO_FORMATS[k] for k in ("mp3", "wav")}  # "audio_url (mp3/wav)"

# -- GET /live/v1/lives (wire notes §2.1 [3P]: "?pager.page=0&pager.pagesz=10"; docs/decisions.md "S1 extras")
PAGE_PARAM, PAGE_SIZE_PARAM = "pager.page", "pager.pagesz"
PAGE_SIZE_DEFAULT = 10    # the 3P example's pagesz, and GET /ent/v2/tasks' default
PAGE_SIZE_MAX = 100       # GET /ent/v2/tasks' documented "max 100": the same gateway's pager

# -- sessions ----------------------------------------------------------------------------------------
TOKEN_TTL = 3600.0        # the vendor's example: token_expire_at = creation + 3600 s
ENDING_SECONDS = 1.0      # how long a session stays "ending" before "ended"
APP_ID = "viduemu"
HANGUP_REASONS = ("user_end", "timeout", "audit_violation", "credit_insufficient", "sip_closed",
                  "provider_closed", "sip_reconnect_timeout", "client_reconnect_timeout",
                  "prepared_sip_disconnected", "owner_taken_over", "owner_lease_lost", "ai_output_closed",
                  "external")
LIVE_STATES = ("waiting", "on_live")  # states a hangup can end
ENDED_STATES = ("ending", "ended")
CONN_INIT = FaultPoint("ws.conn_init", {"error_code": one_of("error_code", ("NOT_READY", "LIVE_CONN_INIT_FAILED"))})


# -- a session's RTC channel and users (the vendor's names: docs/decisions.md, "Channel ids") -------
_CHANNEL_PREFIX = {"video": "live-user-", "audio": "live-audio-"}


def channel_id(live_id: str, call_mode: str) -> str:
    return f"{_CHANNEL_PREFIX['video' if call_mode == 'video' else 'audio']}{live_id}"


def live_of_channel(channel: str) -> str | None:
    """The id of the session a channel name was made for (``channel_id``), or None."""
    for prefix in _CHANNEL_PREFIX.values():
        rest = channel[len(prefix):]
        if channel.startswith(prefix) and rest and "-" not in rest:
            return rest
    return None


def user_id(creator: str, live_id: str) -> str:
    return f"live-user-{creator}-{live_id}"


def bot_user_id(creator: str, live_id: str) -> str:
    """The character's stream id in the channel."""
    return f"live-bot-{creator}-{live_id}"


# -- voices (wire notes §6) -------------------------------------------------------------------------
FREE_CLONES = 10        # "first 10 free"
CLONE_PRICE = 899       # "then 899 credits each"

SYSTEM_VOICES = (
    "Tina", "Cindy", "Liora Mira", "Sunnybobi", "Raymond", "Ethan", "Theo Calm", "Serena", "Harvey", "Maia",
    "Evan", "Qiao", "Momo", "Wil", "Angel", "Li Cassian", "Mia", "Joyner", "Gold", "Katerina", "Ryan",
    "Jennifer", "Aiden", "Mione", "Sunny", "Dylan", "Eric", "Peter", "Joseph Chen", "Marcus", "Li", "Kiki",
    "Rocky", "Sohee", "Lenn", "Ono Anna", "Sonrisa", "Bodega", "Emilien", "Andre", "Radio Gol", "Alek",
    "Rizky", "Roya", "Arda", "Hana", "Dolce", "Jakub", "Griet", "Eliška", "Marina", "Siiri", "Ingrid",
    "Sigga", "Bea", "Chloe",
)
