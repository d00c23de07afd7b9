"""Helpers shared by several test folders: media made in-test (media.py), a real HTTP receiver
(receiver.py), the real-socket server harness and the signaling helpers (server.py), and
``viduemu serve`` as a subprocess for the tests whose subject is the process itself (process.py)."""
