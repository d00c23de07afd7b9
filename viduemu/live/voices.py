"""S1 voices: the system voices (wire notes §6) and each account's cloned voices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from viduemu.core.errors import invalid

if TYPE_CHECKING:
    pass

KIND = "voices"
DEFAULT_VOICE = "Tina"
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


class Voices:
    def __init__(self, core, accounts) -> None:
        self.core, self.accounts = core, accounts

    def clones(self, api_key: str) -> list[dict]:
        return [v for v in self.core.store.all(KIND) if v["api_key"] == api_key]

    def known(self, api_key: str, voice: str) -> bool:
        """A system voice, or one of this account's clones."""
        return voice in SYSTEM_VOICES or self.core.store.get(KIND, _key(api_key, voice)) is not None

    def resolve(self, api_key: str, voice: str | None) -> str:
        """The voice a session speaks with: empty means Tina; else a system voice or one of the
        account's clones; anything else is a 400 naming ``avatar.voice``."""
        if voice is None or voice == "":
            return DEFAULT_VOICE
        if self.known(api_key, voice):
            return voice
        raise invalid("avatar.voice", f"unknown voice {voice!r}: use a system voice (e.g. Tina) or a cloned one")

    def clone(self, api_key: str, voice: str, audio_url: str, language: str | None,
              text: str | None) -> dict[str, Any]:
        if self.known(api_key, voice):  # a clone named like a system voice would shadow it
            raise invalid("voice", f"voice {voice!r} is taken: a system voice or one of this account's clones")
        price = 0 if len(self.clones(api_key)) < FREE_CLONES else CLONE_PRICE
        record = {"voice": voice, "api_key": api_key, "audio_url": audio_url, "language": language,
                  "text": text, "credits": price, "created_at": self.core.clock.now()}
        with self.core.store.atomic():
            if price:
                self.accounts.charge(api_key, price, "voice_clone", voice)
            self.core.store.put(KIND, _key(api_key, voice), record)
        return record


def _key(api_key: str, voice: str) -> str:
    return f"{api_key}\n{voice}"
