"""Replaces pyinstaller-hooks-contrib's hook for `webrtcvad`: that one copies
the metadata of the `webrtcvad` distribution, but the module comes from the
maintained fork `webrtcvad-wheels` (its metadata is what the module reads for
its version), and with no `webrtcvad` distribution the build failed."""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
