"""Sound devices: capture and playback through PortAudio (pyaudio), device
selection and hot-swap, resampling, level meters, the mic test.

Only the modules that talk to PortAudio import pyaudio (``devices``,
``capture``, ``playback``, ``engine``, ``mictest``); the buffers, the
format conversion and the meters are plain code, tested with arrays.
"""
