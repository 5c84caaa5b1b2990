"""Lambda functions, one package each (`functions/<name>/handler.py`): thin handlers that parse a
typed event and call one service in `shared/`."""
