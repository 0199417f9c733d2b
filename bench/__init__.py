"""The benchmark: synthetic layers, our app and pygeoapi side by side (``python -m bench``)."""
