"""The REST + WebSocket API and the phone page."""
