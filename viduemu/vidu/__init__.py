"""What Vidu's API families share: accounts and credits, the auth schemes, input media checks, the
task lifecycle, output media rendering, signed callbacks, the vendor's error reasons and events."""

from viduemu.vidu import errors as _errors  # noqa: F401  (registers the vendor's reasons with core)
