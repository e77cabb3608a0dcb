"""The home's log file: every Dagster event of every run, DEBUG included, in `<home>/logs/edumon.log`.

The console shows a short report (pipelines/orchestration/report.py); the event log in the
Dagster instance and this file keep the whole story. A Dagster logger of the Definitions, so the
runs started from the UI, the sensor and the schedule write here too.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import dagster as dg

from pipelines.config import home_path

LOG_FILE = "edumon.log"
_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def log_file(home: str | Path | None = None) -> Path:
    return home_path("logs", home) / LOG_FILE


@cache  # one handler per file for the process, however many runs it executes
def _file_logger(path: Path) -> logging.Logger:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger = logging.getLogger(f"edumon.run_log.{path}")
    logger.propagate = False  # the file only, never the console
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger


@dg.logger(
    config_schema={"home": dg.Field(str, default_value="", description="empty: EDUMON_HOME or ./data")},
    description="Every event of the run, DEBUG included, appended to <home>/logs/edumon.log",
)
def home_log_file(context: dg.InitLoggerContext) -> logging.Logger:
    return _file_logger(log_file(context.logger_config["home"] or None))


# The Definitions' loggers: the console (its level set per run: `edumon run` shows errors only
# unless --verbose) and the home's log file.
LOGGERS = {"console": dg.colored_console_logger, "home_log_file": home_log_file}
