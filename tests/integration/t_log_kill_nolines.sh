#!/bin/bash
# t_log_kill without done lines (their memfd cannot be made, injected):
# workers report each log job as it ends, as before done lines, and a
# killed worker still leaves at most the job it was writing to run again.
# shellcheck source=t_log_kill.sh
NOLINES=1 . "$(dirname "$0")/t_log_kill.sh"
