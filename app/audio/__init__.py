"""Sound devices: capture and playback through PortAudio (pyaudio), device
selection and hot-swap, resampling, level meters.

Only the modules that talk to PortAudio import pyaudio (``devices``,
``capture``, ``playback``, ``engine``); the buffers, the
format conversion and the meters are plain code, tested with arrays.
"""
