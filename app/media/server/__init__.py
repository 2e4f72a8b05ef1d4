"""Server side of the media plane: decode stage audio, mix, encode once, fan out."""
