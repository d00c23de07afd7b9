"""Studio: turn a prompt into a video clip, and hold a short voice call with a character."""

from studio.app import ClipFailed, call, make_clip

__all__ = ["ClipFailed", "call", "make_clip"]
