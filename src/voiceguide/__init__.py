"""voiceguide: turn a massage routine into a voice-guided audio track."""

__version__ = "0.1.0"
