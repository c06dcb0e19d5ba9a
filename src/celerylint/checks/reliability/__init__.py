"""CEL2: reliability — acknowledgement, time limits, retries."""
