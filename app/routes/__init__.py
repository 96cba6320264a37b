"""One router per concern: catalog (health, schema, data sets, presets, models), sessions,
pages and the websocket."""
